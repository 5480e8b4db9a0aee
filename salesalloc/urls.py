"""URL configuration. The REST API lives under /api/v1/, browser pages at the root."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

api_v1: list[URLPattern | URLResolver] = [
    path("", include("salesalloc.api.urls")),
    path("", include("allocation.api.urls")),
    path("", include("customers.api.urls")),
    path("", include("performance.api.urls")),
    path("", include("performance.commissions.api.urls")),
    path("", include("performance.costs.api.urls")),
    path("", include("performance.scorecards.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

# Sign-in, sign-out and the start page.
site_pages: list[URLPattern | URLResolver] = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="core/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", RedirectView.as_view(pattern_name="dashboard", permanent=False), name="home"),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    *site_pages,
    path("", include("allocation.urls")),
    path("", include("customers.urls")),
    path("", include("performance.urls")),
]

handler400 = "salesalloc.views.bad_request"
handler403 = "salesalloc.views.permission_denied"
handler404 = "salesalloc.views.page_not_found"
handler500 = "salesalloc.views.server_error"
