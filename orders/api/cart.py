"""Cart API: the signed-in customer's cart (shared by web and app) or an anonymous cart by
its ``X-Cart-Token``; prices come from the one pricing engine."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.channels import ChannelMixin
from catalog.selectors import variant_get_by_sku, variant_skus
from customers.selectors import customer_for_user
from customers.services import customer_for_user_ensure
from loyalty.exceptions import NotSellable
from loyalty.pricing import cart_price
from omnishop.api.serializers import ErrorSerializer, MoneyField
from omnishop.money import Money
from omnishop.vocabulary import CHECKOUT_FULFILMENT_CHOICES

from ..models import Cart
from ..selectors import cart_active_for_customer, cart_lines
from ..services import cart_create_anonymous, cart_for_customer, cart_for_token, cart_line_set, cart_merge
from ..services.carts import CART_LINE_MAX_QUANTITY, cart_token_issued, cart_token_new, cart_token_used
from .pricing import PricedCartSerializer, priced_render
from .rewards_in import RewardsInSerializer

CART_TOKEN = OpenApiParameter(
    "X-Cart-Token", OpenApiTypes.UUID, OpenApiParameter.HEADER, description="Anonymous cart token."
)


class CartLineOutSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = MoneyField(allow_null=True)
    line_total = MoneyField(allow_null=True)
    discount = MoneyField(allow_null=True, help_text=gettext_lazy("What automatic promotions take off the line."))


class CartOutSerializer(serializers.Serializer):
    token = serializers.UUIDField()
    channel = serializers.CharField()
    lines = CartLineOutSerializer(many=True)
    subtotal = MoneyField(allow_null=True)
    discount_total = MoneyField(allow_null=True, help_text=gettext_lazy("Automatic promotions."))
    total = MoneyField(
        allow_null=True,
        help_text=gettext_lazy("What the goods cost after automatic promotions, before shipping, a coupon or points."),
    )
    points_to_earn = serializers.IntegerField(
        allow_null=True, help_text=gettext_lazy("Points the cart would earn as it stands (signed-in customers).")
    )
    problems = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=gettext_lazy(
            "Lines that need attention, by SKU, each with its messages: a line that can no longer be sold (the "
            "cart then has no prices) and, in the answer to a merge, a line cut to what is available or to 999 "
            "units, or dropped."
        ),
    )


class CartLineInSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=0, max_value=CART_LINE_MAX_QUANTITY)


class CartMergeInSerializer(serializers.Serializer):
    token = serializers.UUIDField()


def cart_render_empty(*, token, channel) -> dict:
    """A cart not created yet (an anonymous one is created on its first line)."""
    return CartOutSerializer(
        {
            "token": token,
            "channel": channel.code,
            "lines": [],
            "subtotal": None,
            "discount_total": None,
            "total": None,
            "points_to_earn": None,
            "problems": {},
        }
    ).data


def cart_render(cart: Cart, *, capped: dict[int, list[str]] | None = None) -> dict:
    """The cart as ``CartOutSerializer`` renders it, priced by the one pricing engine; lines
    that cannot be sold are named in ``problems`` (the cart then has no prices), and so are
    the lines a merge ``capped``."""
    lines = list(cart_lines(cart=cart))
    problems: dict = {}
    priced = {}
    subtotal = discount_total = total = points_to_earn = None
    currency = cart.channel.currency
    if lines:
        try:
            result = cart_price(
                lines={ln.variant_id: ln.quantity for ln in lines}, channel=cart.channel, customer=cart.customer
            )
            priced = {p.variant_id: p for p in result.lines}
            subtotal = Money(result.subtotal, result.currency)
            discount_total = Money(result.discount_total, result.currency)
            total = Money(result.subtotal - result.discount_total, result.currency)
            points_to_earn = result.points_to_earn if cart.customer_id else None
        except NotSellable as exc:
            by_id = {str(ln.variant_id): ln.variant.sku for ln in lines}
            problems = {by_id.get(k, k): v for k, v in exc.errors.items()}
    if capped:
        skus = {ln.variant_id: ln.variant.sku for ln in lines}
        skus.update(variant_skus(ids=set(capped) - set(skus)))
        for variant_id, messages in capped.items():
            problems.setdefault(skus.get(variant_id, str(variant_id)), []).extend(messages)

    def money(variant_id: int, attribute: str) -> Money | None:
        line = priced.get(variant_id)
        return None if line is None else Money(getattr(line, attribute), currency)

    return CartOutSerializer(
        {
            "token": cart.token,
            "channel": cart.channel.code,
            "lines": [
                {
                    "sku": ln.variant.sku,
                    "name": ln.variant.product.name,
                    "quantity": ln.quantity,
                    "unit_price": money(ln.variant_id, "unit_price"),
                    "line_total": money(ln.variant_id, "line_total"),
                    "discount": money(ln.variant_id, "discount"),
                }
                for ln in lines
            ],
            "subtotal": subtotal,
            "discount_total": discount_total,
            "total": total,
            "points_to_earn": points_to_earn,
            "problems": problems,
        }
    ).data


class CartMixin(ChannelMixin):
    permission_classes = [permissions.AllowAny]

    def current_cart(self, request, *, create: bool) -> Cart | None:
        """The caller's cart. An anonymous caller's is created only when ``create`` (a line is
        set): without it, ``None`` when there is no cart yet (``self.pending_token`` says under
        which token it will be created)."""
        if not request.channel.self_service:
            raise exceptions.PermissionDenied(
                _("Carts are for the web shop and the app, not for channel %(channel)s.")
                % {"channel": request.channel.code}
            )
        if request.user.is_authenticated:
            customer = customer_for_user_ensure(user=request.user)
            return cart_for_customer(customer=customer, channel=request.channel)
        token = request.headers.get("X-Cart-Token")
        if token:
            try:
                cart = cart_for_token(token=token, channel=request.channel)
            except DjangoValidationError:  # a malformed UUID is simply no cart
                cart = None
            if cart is not None:
                return cart
            # A token this server issued for a cart not created yet (no line set so far).
            if not cart_token_issued(token) or cart_token_used(token):
                raise exceptions.NotFound(_("No active cart with this token."))
            if create:
                return cart_create_anonymous(channel=request.channel, token=token)
            self.pending_token = token
            return None
        if create:
            return cart_create_anonymous(channel=request.channel)
        self.pending_token = cart_token_new()
        return None


@extend_schema(tags=["cart"], parameters=[CART_TOKEN])
class CartApi(CartMixin, APIView):
    @extend_schema(responses=CartOutSerializer)
    def get(self, request):
        """The current cart. An anonymous caller without a token gets an empty cart and the token
        to send with its first line (the cart is created then, not by this read)."""
        cart = self.current_cart(request, create=False)
        if cart is None:
            return Response(cart_render_empty(token=self.pending_token, channel=request.channel))
        return Response(cart_render(cart))


@extend_schema(tags=["cart"], parameters=[CART_TOKEN])
class CartLineApi(CartMixin, APIView):
    @extend_schema(request=CartLineInSerializer, responses=CartOutSerializer)
    def put(self, request):
        """Set a line's quantity (0 removes it)."""
        data_in = CartLineInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        variant = variant_get_by_sku(sku=data_in.validated_data["sku"])
        if variant is None:
            raise exceptions.ValidationError({"sku": [_("Unknown SKU.")]})
        cart = self.current_cart(request, create=True)
        cart_line_set(cart=cart, variant=variant, quantity=data_in.validated_data["quantity"])
        return Response(cart_render(cart))


@extend_schema(tags=["cart"])
class CartMergeApi(CartMixin, APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=CartMergeInSerializer, responses=CartOutSerializer)
    def post(self, request):
        """After login: move the anonymous cart's lines into the customer's cart; quantities of the
        same SKU add up. A line that got less than both carts had together (what is available
        online, or 999 units a line) or was dropped is named in problems, saying how many units
        the carts had, how many are available and how many the line has now."""
        data_in = CartMergeInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        anonymous = cart_for_token(token=data_in.validated_data["token"], channel=request.channel)
        if anonymous is None:
            raise exceptions.NotFound(_("No active cart with this token."))
        mine = self.current_cart(request, create=True)
        capped: dict[int, list[str]] = {}
        merged = cart_merge(anonymous=anonymous, into=mine, capped=capped)
        return Response(cart_render(merged, capped=capped), status=status.HTTP_200_OK)


class CartPriceInSerializer(RewardsInSerializer):
    fulfilment_type = serializers.ChoiceField(
        choices=CHECKOUT_FULFILMENT_CHOICES,
        required=False,
        default=None,
        allow_null=True,
        help_text=gettext_lazy("How it will reach the customer (a delivery adds its fee); omit to leave shipping out."),
    )


@extend_schema(tags=["cart"], parameters=[CART_TOKEN])
class CartPriceApi(CartMixin, APIView):
    @extend_schema(
        operation_id="cart_price",
        summary="Price the cart with a coupon, points or a gift card",
        request=CartPriceInSerializer,
        responses={
            200: PricedCartSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="validation_error (points or store_credit without a signed-in customer, an empty "
                "cart as lines); coupon_invalid (coupon_code) or gift_card_invalid (gift_card) with the reason.",
            ),
            409: OpenApiResponse(ErrorSerializer, description="not_sellable: cart lines no longer sold, by id."),
        },
    )
    def post(self, request):
        """What the current cart costs with what the customer would pay with, priced by the same
        engine as checkout (nothing is reserved or spent: placing the order spends it)."""
        data_in = CartPriceInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        rewards = data_in.rewards()
        cart = self._cart_if_any(request)
        lines = {} if cart is None else {ln.variant_id: ln.quantity for ln in cart_lines(cart=cart)}
        if not lines:
            raise exceptions.ValidationError({"lines": [_("The cart is empty.")]})
        customer = cart.customer if cart.customer_id else None
        if customer is None and (rewards["points"] or rewards["store_credit"] is not None):
            field = "points" if rewards["points"] else "store_credit"
            raise exceptions.ValidationError({field: [_("Sign in to pay with points or store credit.")]})
        priced = cart_price(
            lines=lines,
            channel=request.channel,  # web and app share the cart; each channel's promotions are its own
            customer=customer,
            fulfilment_type=data_in.validated_data["fulfilment_type"],
            **rewards,
        )
        return Response(priced_render(priced))

    def _cart_if_any(self, request) -> Cart | None:
        """The caller's cart when it has one: pricing creates no customer record and no cart."""
        if not request.user.is_authenticated:
            return self.current_cart(request, create=False)
        if not request.channel.self_service:
            return self.current_cart(request, create=False)  # refused as the other cart endpoints refuse it
        customer = customer_for_user(user=request.user)
        return None if customer is None else cart_active_for_customer(customer=customer)
