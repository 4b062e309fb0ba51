"""Django admin for contacts, segments and CSV imports."""

from django.contrib import admin

from surveys.models import Contact


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "language", "external_id", "account_owner"]
    list_filter = ["language"]
    search_fields = ["email", "name", "external_id"]
    autocomplete_fields = ["account_owner"]
