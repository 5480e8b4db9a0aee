"""Routes of the plans API (mounted under /api/v1/ by ``allocation.api.urls``)."""

from django.urls import path

from allocation.api.plans.views import cells, files, lifecycle, plans, targets, uploads

urlpatterns = [
    path("plans/", plans.PlanListCreateApi.as_view(), name="api-plan-list"),
    path("plans/compare/", lifecycle.PlanCompareApi.as_view(), name="api-plan-compare"),
    path("plans/<int:pk>/", plans.PlanDetailApi.as_view(), name="api-plan-detail"),
    path(
        "plans/<int:pk>/measures/", plans.PlanMeasureCreateApi.as_view(), name="api-plan-measures"
    ),
    path("plans/<int:pk>/methods/", plans.PlanMethodConfigApi.as_view(), name="api-plan-methods"),
    path(
        "plans/<int:pk>/method-inputs/",
        plans.PlanMethodInputsApi.as_view(),
        name="api-plan-method-inputs",
    ),
    path(
        "plans/<int:pk>/product-line-totals/",
        plans.PlanProductLineTotalsApi.as_view(),
        name="api-plan-product-line-totals",
    ),
    path("plans/<int:pk>/allocate/", lifecycle.PlanAllocateApi.as_view(), name="api-plan-allocate"),
    path("plans/<int:pk>/submit/", lifecycle.PlanSubmitApi.as_view(), name="api-plan-submit"),
    path("plans/<int:pk>/approve/", lifecycle.PlanApproveApi.as_view(), name="api-plan-approve"),
    path("plans/<int:pk>/reject/", lifecycle.PlanRejectApi.as_view(), name="api-plan-reject"),
    path("plans/<int:pk>/publish/", lifecycle.PlanPublishApi.as_view(), name="api-plan-publish"),
    path("plans/<int:pk>/archive/", lifecycle.PlanArchiveApi.as_view(), name="api-plan-archive"),
    path(
        "plans/<int:pk>/new-version/",
        lifecycle.PlanNewVersionApi.as_view(),
        name="api-plan-new-version",
    ),
    path(
        "plans/<int:pk>/scenarios/",
        lifecycle.PlanScenarioCreateApi.as_view(),
        name="api-plan-scenario-create",
    ),
    path("plans/<int:pk>/respread/", lifecycle.PlanRespreadApi.as_view(), name="api-plan-respread"),
    path("plans/<int:pk>/changes/", lifecycle.PlanChangeListApi.as_view(), name="api-plan-changes"),
    path("plans/<int:pk>/grid/", cells.PlanGridApi.as_view(), name="api-plan-grid"),
    path("plans/<int:pk>/rollup/", cells.PlanRollupApi.as_view(), name="api-plan-rollup"),
    path("plans/<int:pk>/cells/edit/", cells.CellEditApi.as_view(), name="api-plan-cell-edit"),
    path("plans/<int:pk>/cells/paste/", cells.CellPasteApi.as_view(), name="api-plan-cell-paste"),
    path("plans/<int:pk>/cells/lock/", cells.CellLockApi.as_view(), name="api-plan-cell-lock"),
    path("plans/<int:pk>/undo/", cells.PlanUndoApi.as_view(), name="api-plan-undo"),
    path(
        "plans/<int:pk>/constraints/",
        cells.PlanConstraintListApi.as_view(),
        name="api-plan-constraints",
    ),
    path("plans/<int:pk>/export/", files.PlanExportApi.as_view(), name="api-plan-export"),
    path("plans/<int:pk>/upload/", uploads.PlanUploadApi.as_view(), name="api-plan-upload"),
    path(
        "plans/<int:pk>/uploads/<int:upload_id>/",
        uploads.PlanUploadDetailApi.as_view(),
        name="api-plan-upload-detail",
    ),
    path(
        "plans/<int:pk>/uploads/<int:upload_id>/confirm/",
        uploads.PlanUploadConfirmApi.as_view(),
        name="api-plan-upload-confirm",
    ),
    path(
        "plans/<int:pk>/uploads/<int:upload_id>/discard/",
        uploads.PlanUploadDiscardApi.as_view(),
        name="api-plan-upload-discard",
    ),
    path("plans/<int:pk>/days/", files.PlanDayListApi.as_view(), name="api-plan-days"),
    path(
        "plans/<int:pk>/days/export/",
        files.PlanDayExportApi.as_view(),
        name="api-plan-days-export",
    ),
    path(
        "plans/<int:pk>/acknowledgements/",
        targets.PlanAcknowledgementListApi.as_view(),
        name="api-plan-acknowledgements",
    ),
    path(
        "plans/<int:pk>/acknowledge/",
        targets.PlanAcknowledgeApi.as_view(),
        name="api-plan-acknowledge",
    ),
    path("my-targets/", targets.MyTargetListApi.as_view(), name="api-my-targets"),
    path("targets/", targets.TargetListApi.as_view(), name="api-target-list"),
]
