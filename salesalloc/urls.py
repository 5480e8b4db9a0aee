"""URL configuration. The REST API lives under /api/v1/, browser pages at the root."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

api_v1 = [
    path("", include("salesalloc.core.api_urls")),
    path("", include("allocation.api.urls")),
    path("", include("customers.api.urls")),
    path("", include("performance.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("salesalloc.core.urls")),
    path("", include("allocation.urls")),
    path("", include("customers.urls")),
    path("", include("performance.urls")),
]

handler400 = "salesalloc.core.views.bad_request"
handler403 = "salesalloc.core.views.permission_denied"
handler404 = "salesalloc.core.views.page_not_found"
handler500 = "salesalloc.core.views.server_error"
