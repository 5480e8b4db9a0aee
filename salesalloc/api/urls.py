"""Cross-cutting API routes: authentication."""

from django.urls import path

from salesalloc.api.views import TokenApi

urlpatterns = [
    path("auth/token/", TokenApi.as_view(), name="api-token"),
]
