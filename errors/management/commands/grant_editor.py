"""`manage.py grant_editor USERNAME`: let a user edit the catalog in the admin."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser

EDITORS = "Editors"


class Command(BaseCommand):
    help = "Add a user to the Editors group and make them staff, so they can edit the catalog."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(
                f"No user {options['username']!r}: create it first "
                "(manage.py createsuperuser, or the admin's Users page)."
            )
        group = Group.objects.filter(name=EDITORS).first()
        if group is None:
            raise CommandError("The Editors group is missing: run manage.py migrate.")
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(group)
        self.stdout.write(self.style.SUCCESS(f"{user.username} is now an editor."))
