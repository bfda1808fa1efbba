import pytest
from django.core.exceptions import ValidationError

from catalog.tests.factories import VariantFactory
from inventory.exceptions import InsufficientStock, InvalidTransferState
from inventory.models import StockLevel, StockMovement, Transfer
from inventory.services import stock_receive, transfer_cancel, transfer_receive, transfer_request, transfer_ship
from inventory.tests.factories import LocationFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


def test_transfer_moves_stock_through_the_ledger():
    variant, wh, store = VariantFactory(), WarehouseFactory(), LocationFactory()
    stock_receive(variant=variant, location=wh, quantity=5)
    transfer = transfer_request(source=wh, destination=store, lines={variant.pk: 3}, reference="C&C order 1")
    transfer_ship(transfer=transfer)
    assert StockLevel.objects.get(variant=variant, location=wh).on_hand == 2
    transfer = transfer_receive(transfer=transfer)
    assert transfer.status == Transfer.Status.RECEIVED and transfer.received_at
    assert StockLevel.objects.get(variant=variant, location=store).on_hand == 3
    kinds = sorted(StockMovement.objects.values_list("kind", "quantity"))
    assert kinds == [("receipt", 5), ("transfer_in", 3), ("transfer_out", -3)]
    with pytest.raises(InvalidTransferState):
        transfer_receive(transfer=transfer)


def test_cannot_ship_what_is_not_there_and_cancel_only_before_shipping():
    variant, wh, store = VariantFactory(), WarehouseFactory(), LocationFactory()
    transfer = transfer_request(source=wh, destination=store, lines={variant.pk: 1})
    with pytest.raises(InsufficientStock):
        transfer_ship(transfer=transfer)
    transfer_cancel(transfer=transfer)
    with pytest.raises(InvalidTransferState):
        transfer_ship(transfer=transfer)


@pytest.mark.parametrize("inactive", ["source", "destination"])
def test_no_transfer_to_or_from_an_inactive_location(inactive):
    variant = VariantFactory()
    ends = {"source": WarehouseFactory(code="wh-1"), "destination": LocationFactory(code="st-1")}
    stock_receive(variant=variant, location=ends["source"], quantity=5)
    ends[inactive].is_active = False
    ends[inactive].save(update_fields=["is_active"])
    with pytest.raises(ValidationError) as exc:
        transfer_request(**ends, lines={variant.pk: 1})
    assert exc.value.message_dict == {inactive: [f"The location {ends[inactive].code} is not active."]}
    assert not Transfer.objects.exists()
