from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import User
from .serializers import MeSerializer


@extend_schema(tags=["accounts"])
class MeApi(APIView):
    """The signed-in user (web: session cookie; app: ``X-Session-Token`` from allauth headless)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = User.objects.prefetch_related("groups").get(pk=request.user.pk)
        return Response(MeSerializer(user).data)
