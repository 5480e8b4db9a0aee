"""Routes of the plans API (mounted under /api/v1/ by ``allocation.api.urls``)."""

from django.urls import path

from allocation.api import plans_views as views
from allocation.api import sheet_upload_views as uploads

urlpatterns = [
    path("plans/", views.PlanListCreateApi.as_view(), name="api-plan-list"),
    path("plans/compare/", views.PlanCompareApi.as_view(), name="api-plan-compare"),
    path("plans/<int:pk>/", views.PlanDetailApi.as_view(), name="api-plan-detail"),
    path("plans/<int:pk>/methods/", views.PlanMethodConfigApi.as_view(), name="api-plan-methods"),
    path(
        "plans/<int:pk>/method-inputs/",
        views.PlanMethodInputsApi.as_view(),
        name="api-plan-method-inputs",
    ),
    path(
        "plans/<int:pk>/product-line-totals/",
        views.PlanProductLineTotalsApi.as_view(),
        name="api-plan-product-line-totals",
    ),
    path("plans/<int:pk>/allocate/", views.PlanAllocateApi.as_view(), name="api-plan-allocate"),
    path("plans/<int:pk>/submit/", views.PlanSubmitApi.as_view(), name="api-plan-submit"),
    path("plans/<int:pk>/approve/", views.PlanApproveApi.as_view(), name="api-plan-approve"),
    path("plans/<int:pk>/reject/", views.PlanRejectApi.as_view(), name="api-plan-reject"),
    path("plans/<int:pk>/publish/", views.PlanPublishApi.as_view(), name="api-plan-publish"),
    path("plans/<int:pk>/archive/", views.PlanArchiveApi.as_view(), name="api-plan-archive"),
    path(
        "plans/<int:pk>/new-version/",
        views.PlanNewVersionApi.as_view(),
        name="api-plan-new-version",
    ),
    path(
        "plans/<int:pk>/scenarios/",
        views.PlanScenarioCreateApi.as_view(),
        name="api-plan-scenario-create",
    ),
    path("plans/<int:pk>/respread/", views.PlanRespreadApi.as_view(), name="api-plan-respread"),
    path("plans/<int:pk>/changes/", views.PlanChangeListApi.as_view(), name="api-plan-changes"),
    path("plans/<int:pk>/grid/", views.PlanGridApi.as_view(), name="api-plan-grid"),
    path("plans/<int:pk>/rollup/", views.PlanRollupApi.as_view(), name="api-plan-rollup"),
    path("plans/<int:pk>/cells/edit/", views.CellEditApi.as_view(), name="api-plan-cell-edit"),
    path("plans/<int:pk>/cells/paste/", views.CellPasteApi.as_view(), name="api-plan-cell-paste"),
    path("plans/<int:pk>/cells/lock/", views.CellLockApi.as_view(), name="api-plan-cell-lock"),
    path(
        "plans/<int:pk>/constraints/",
        views.PlanConstraintListApi.as_view(),
        name="api-plan-constraints",
    ),
    path("plans/<int:pk>/export/", views.PlanExportApi.as_view(), name="api-plan-export"),
    path("plans/<int:pk>/upload/", uploads.PlanUploadApi.as_view(), name="api-plan-upload"),
    path(
        "plans/<int:pk>/uploads/<int:upload_id>/",
        uploads.PlanUploadDetailApi.as_view(),
        name="api-plan-upload-detail",
    ),
    path("plans/<int:pk>/days/", views.PlanDayListApi.as_view(), name="api-plan-days"),
    path(
        "plans/<int:pk>/days/export/",
        views.PlanDayExportApi.as_view(),
        name="api-plan-days-export",
    ),
    path(
        "plans/<int:pk>/acknowledgements/",
        views.PlanAcknowledgementListApi.as_view(),
        name="api-plan-acknowledgements",
    ),
    path(
        "plans/<int:pk>/acknowledge/",
        views.PlanAcknowledgeApi.as_view(),
        name="api-plan-acknowledge",
    ),
    path("my-targets/", views.MyTargetListApi.as_view(), name="api-my-targets"),
    path("targets/", views.TargetListApi.as_view(), name="api-target-list"),
]
