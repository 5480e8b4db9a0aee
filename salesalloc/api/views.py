"""Token authentication for integrations: obtain (sign in) and revoke."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox.models import AuthToken
from rest_framework import serializers
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from salesalloc.core.exceptions import ApplicationError
from salesalloc.core.security import ClientAddressAnonThrottle, LockedOutError
from salesalloc.core.tokens import auth_token_create, auth_token_revoke


class TokenObtainInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class NoTokenError(ApplicationError):
    code = "no_token"


class TokenApi(APIView):
    """``POST``: exchange a username and password for an API token (``Authorization: Token
    <key>``); it expires after ``SALESALLOC_TOKEN_TTL_HOURS``. ``DELETE``: revoke the token
    the request is authenticated with."""

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_throttles(self) -> list[BaseThrottle]:
        if self.request.method == "POST":
            return [ClientAddressAnonThrottle()]
        return []

    @extend_schema(
        request=TokenObtainInputSerializer,
        responses={
            200: inline_serializer("TokenOutput", {"token": serializers.CharField()}),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenObtainInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The request goes to authenticate() so django-axes counts failures per username and
        # per address, and refuses while either is locked out.
        user = authenticate(
            request=request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if getattr(request, "axes_locked_out", False):
            raise LockedOutError()
        if user is None:
            raise serializers.ValidationError(
                {"non_field_errors": [_("Unable to log in with provided credentials.")]},
                code="authorization",
            )
        return Response({"token": auth_token_create(user=user)})

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="The token is revoked.")},
    )
    def delete(self, request: Request) -> Response:
        if not isinstance(request.auth, AuthToken):
            raise NoTokenError(str(_("Only a request authenticated with a token can revoke it.")))
        auth_token_revoke(token=request.auth)
        return Response(status=204)
