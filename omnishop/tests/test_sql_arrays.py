import pytest
from django.db import connection

from omnishop.sql_arrays import bool_array, int_array, tid_array


@pytest.mark.django_db
def test_the_literals_read_back_as_the_arrays_they_stand_for():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s::bigint[], %s::integer[], %s::boolean[], %s::tid[]",
            [int_array([3, 1, 2**40]), int_array([5, None]), bool_array([True, False]), tid_array(["(0,1)", "(12,7)"])],
        )
        assert cursor.fetchone() == ([3, 1, 2**40], [5, None], [True, False], ["(0,1)", "(12,7)"])


def test_only_what_the_array_holds_reaches_the_statement():
    with pytest.raises(ValueError):
        int_array(["1}'; DROP TABLE x; --"])
    with pytest.raises(ValueError):
        tid_array(['(0,1)","(0,2)'])
    assert int_array([]) == "{}" and int_array(["7"]) == "{7}"
