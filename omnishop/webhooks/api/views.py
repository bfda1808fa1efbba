"""REST for webhook subscriptions and deliveries: staff with the model permissions see all; a
channel API key with the webhooks:manage scope sees and manages its own channel's only."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from omnishop.api.serializers import ErrorSerializer
from omnishop.apikeys.models import ChannelAPIKey, Scope
from omnishop.exceptions import DomainError

from .. import selectors, services
from ..models import WebhookDelivery, WebhookSubscription
from .filters import DeliveryFilter
from .serializers import (
    DeliveryDetailSerializer,
    DeliverySerializer,
    SubscriptionCreatedSerializer,
    SubscriptionInputSerializer,
    SubscriptionSerializer,
    SubscriptionUpdateSerializer,
)

PAYLOAD_PERMISSION = "webhooks.view_payload"
_ACTIONS = {"GET": "view", "HEAD": "view", "OPTIONS": "view", "POST": "add", "PUT": "change", "PATCH": "change"}


def _key(request) -> ChannelAPIKey | None:
    return request.auth if isinstance(request.auth, ChannelAPIKey) else None


class CanManageWebhooks(permissions.BasePermission):
    """A channel API key with the webhooks:manage scope, or staff with the model permission the
    method needs (view, add, change, delete; re-delivery: change delivery)."""

    message = _("Webhooks need an API key with the webhooks:manage scope or the webhooks permissions.")

    def has_permission(self, request, view) -> bool:
        key = _key(request)
        if key is not None:
            return key.has_scope(Scope.WEBHOOKS_MANAGE)
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        action = getattr(view, "permission_action", None) or _ACTIONS.get(request.method, "delete")
        model = view.permission_model._meta
        return user.has_perm(f"{model.app_label}.{action}_{model.model_name}")


def _channel_of(request):
    key = _key(request)
    return key.channel if key else None


NOT_FOUND = OpenApiResponse(ErrorSerializer, description="not_found: no such subscription visible to the caller.")


class SubscriptionListCreateApi(generics.GenericAPIView):
    """Webhook subscriptions: the caller's channel's for an API key, all of them for staff."""

    permission_classes = [CanManageWebhooks]
    permission_model = WebhookSubscription
    serializer_class = SubscriptionSerializer

    def get_queryset(self):
        return selectors.subscription_list_for(channel=_channel_of(self.request))

    @extend_schema(tags=["webhooks"], responses=SubscriptionSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(SubscriptionSerializer(page, many=True).data)

    @extend_schema(
        tags=["webhooks"],
        request=SubscriptionInputSerializer,
        responses={
            201: SubscriptionCreatedSerializer,
            403: OpenApiResponse(
                ErrorSerializer,
                description="permission_denied; channel_mismatch: an API key named a channel other than its own.",
            ),
        },
    )
    def post(self, request):
        """Subscribe a URL to event types. The answer carries the signing secret, once."""
        data_in = SubscriptionInputSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = dict(data_in.validated_data)
        data["channel"] = _forced_channel(request, data.get("channel"))
        subscription = services.subscription_create(actor=request.user, **data)
        return Response(SubscriptionCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED)


def _forced_channel(request, asked):
    """An API key's subscriptions are of its channel, whatever the body says."""
    own = _channel_of(request)
    if own is None:
        return asked
    if asked is not None and asked.pk != own.pk:
        raise exceptions.PermissionDenied(
            _("This API key manages the webhooks of channel %(channel)s only.") % {"channel": own.code},
            code="channel_mismatch",
        )
    return own


class SubscriptionDetailApi(generics.GenericAPIView):
    permission_classes = [CanManageWebhooks]
    permission_model = WebhookSubscription
    serializer_class = SubscriptionSerializer

    def get_queryset(self):
        return selectors.subscription_list_for(channel=_channel_of(self.request))

    @extend_schema(tags=["webhooks"], responses={200: SubscriptionSerializer, 404: NOT_FOUND})
    def get(self, request, pk: int):
        """One subscription (without its secret, which is shown once, when it is created)."""
        return Response(SubscriptionSerializer(self.get_object()).data)

    def _update(self, request, *, partial: bool):
        subscription = self.get_object()
        serializer = SubscriptionUpdateSerializer if partial else SubscriptionInputSerializer
        data_in = serializer(data=request.data, partial=partial)
        data_in.is_valid(raise_exception=True)
        data = dict(data_in.validated_data)
        if not partial:
            data.setdefault("channel", None)  # a replacement: no channel named is every channel
        if "channel" in data or _channel_of(request) is not None:
            data["channel"] = _forced_channel(request, data.get("channel"))
        services.subscription_update(subscription=subscription, actor=request.user, **data)
        return Response(SubscriptionSerializer(subscription).data)

    @extend_schema(
        tags=["webhooks"], request=SubscriptionInputSerializer, responses={200: SubscriptionSerializer, 404: NOT_FOUND}
    )
    def put(self, request, pk: int):
        """Replace a subscription's settings (its secret stays)."""
        return self._update(request, partial=False)

    @extend_schema(
        tags=["webhooks"], request=SubscriptionUpdateSerializer, responses={200: SubscriptionSerializer, 404: NOT_FOUND}
    )
    def patch(self, request, pk: int):
        """Change some of a subscription's settings (e.g. is_active)."""
        return self._update(request, partial=True)

    @extend_schema(tags=["webhooks"], responses={204: None, 404: NOT_FOUND})
    def delete(self, request, pk: int):
        """Delete a subscription with its deliveries and their attempt log."""
        services.subscription_delete(subscription=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _show_payload(request) -> bool:
    return _key(request) is not None or request.user.has_perm(PAYLOAD_PERMISSION)


class DeliveryListApi(generics.ListAPIView):
    """Deliveries, newest event first; filter by status, subscription, event type, aggregate
    and creation time."""

    permission_classes = [CanManageWebhooks]
    permission_model = WebhookDelivery
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter

    def get_queryset(self):
        return selectors.delivery_list_for(channel=_channel_of(self.request))

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "show_payload": _show_payload(self.request)}

    @extend_schema(tags=["webhooks"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DeliveryDetailApi(generics.RetrieveAPIView):
    """One delivery with its attempt log."""

    permission_classes = [CanManageWebhooks]
    permission_model = WebhookDelivery
    serializer_class = DeliveryDetailSerializer

    def get_queryset(self):
        return selectors.delivery_list_for(channel=_channel_of(self.request)).prefetch_related("attempt_log")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "show_payload": _show_payload(self.request)}

    @extend_schema(tags=["webhooks"], responses={200: DeliveryDetailSerializer, 404: NOT_FOUND})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DeliveryRedeliverApi(APIView):
    permission_classes = [CanManageWebhooks]
    permission_model = WebhookDelivery
    permission_action = "change"

    @extend_schema(
        tags=["webhooks"],
        request=None,
        responses={
            202: DeliverySerializer,
            404: NOT_FOUND,
            409: OpenApiResponse(
                ErrorSerializer, description="delivery_in_progress: the delivery is being sent right now."
            ),
        },
    )
    def post(self, request, pk: int):
        """Send a delivery again (also a delivered or dead one), with the same event id and a
        fresh attempt budget. No request body."""
        delivery = get_object_or_404(selectors.delivery_list_for(channel=_channel_of(request)), pk=pk)
        if delivery.lease_until and delivery.lease_until > timezone.now():
            raise DeliveryInProgress()
        if not services.deliveries_redeliver(deliveries=[delivery], actor=request.user):
            raise DeliveryInProgress()
        delivery.refresh_from_db()
        context = {"request": request, "show_payload": _show_payload(request)}
        return Response(DeliverySerializer(delivery, context=context).data, status=status.HTTP_202_ACCEPTED)


class DeliveryInProgress(DomainError):
    code = "delivery_in_progress"
    title = _("The delivery is being sent right now; ask again when it is done.")
