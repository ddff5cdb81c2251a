"""The reference pages."""

app_name = "errors"

urlpatterns: list = []
