"""API: exchange an e-mail and password for a token."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import obtain_api_token
from core.api import error_response
from core.exceptions import ValidationError


class TokenObtainApi(APIView):
    """Exchange an e-mail and password for the API token of that account."""

    # No session or token needed to ask for a token; django-axes still throttles failures.
    authentication_classes: list = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})

        class Meta:
            ref_name = "TokenObtain"

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")

        class Meta:
            ref_name = "Token"

    @extend_schema(
        operation_id="auth_token_obtain",
        tags=["auth"],
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            400: error_response("Missing fields, or the e-mail and password do not match an active account."),
            429: OpenApiResponse(description="Too many failed logins from this address for this e-mail (django-axes)."),
        },
        auth=[],
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = serializer.validated_data["email"]
        # django-axes counts failures per e-mail and IP, so it needs the Django request.
        user = authenticate(request=request._request, username=email, password=serializer.validated_data["password"])
        if user is None:
            raise ValidationError(_("Unable to log in with this e-mail and password."), code="invalid_credentials")
        token = obtain_api_token(user=user)
        return Response(self.OutputSerializer({"token": token}).data, status=status.HTTP_200_OK)
