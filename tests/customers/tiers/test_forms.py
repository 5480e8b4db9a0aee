import pytest
from django.core.exceptions import ValidationError

from customers.tiers.forms import ListField


def test_list_field_splits_on_commas_and_drops_blanks():
    field = ListField(required=False)

    assert field.clean(" North, South ,, ") == ["North", "South"]
    assert field.clean("") == []
    assert field.prepare_value(["North", "South"]) == "North, South"


def test_list_field_rejects_null_characters():
    with pytest.raises(ValidationError):
        ListField(required=False).clean("North,\x00")


def test_a_required_list_field_needs_one_item():
    with pytest.raises(ValidationError):
        ListField(required=True).clean(" , ")
