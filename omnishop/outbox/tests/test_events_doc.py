"""docs/events.md is the event catalogue as it is: regenerate it with ``manage.py events_doc``."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from omnishop.outbox.catalogue import event_catalogue
from omnishop.outbox.docs import events_markdown
from omnishop.outbox.management.commands.events_doc import PAGE


def test_the_committed_page_is_the_catalogue_as_it_is():
    assert PAGE.read_text(encoding="utf-8") == events_markdown(), "docs/events.md is stale: run manage.py events_doc"
    call_command("events_doc", "--check")


def test_the_page_lists_every_event_with_its_schema():
    page = events_markdown()
    for entry in event_catalogue():
        assert f"## {entry.type} v{entry.version}\n" in page
        assert f'"$id": "{entry.schema["$id"]}"' in page


def test_check_fails_on_a_stale_page(tmp_path, monkeypatch):
    stale = tmp_path / "events.md"
    stale.write_text("# Events\n", encoding="utf-8")
    monkeypatch.setattr("omnishop.outbox.management.commands.events_doc.PAGE", stale)
    with pytest.raises(CommandError, match="stale"):
        call_command("events_doc", "--check")
    call_command("events_doc")
    assert stale.read_text(encoding="utf-8") == events_markdown()
