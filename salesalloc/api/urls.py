"""Cross-cutting API routes: authentication."""

from django.urls import path

from salesalloc.api.views import TokenObtainApi

urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="api-token"),
]
