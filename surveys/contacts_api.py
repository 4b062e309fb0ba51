"""REST endpoints for contacts, CSV contact imports and segments."""

import logging
from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from surveys import access
from surveys.access import Action
from surveys.access_api import ScopedFilterSet, ScopedRelationsMixin, ScopedViewSetMixin
from surveys.audit import Action as AuditAction
from surveys.audit import audit_record
from surveys.contact_import import MAX_FILE_BYTES, contact_import_create
from surveys.models import Contact, ContactErasure, ContactImport, Segment, Team
from surveys.segments import segment_contacts, segment_rules_validate
from vocsite.privacy.erasure import contact_erase
from vocsite.privacy.export import contact_export

logger = logging.getLogger(__name__)

EMAIL_TAKEN = _("A contact with this email already exists.")
EXTERNAL_ID_TAKEN = _("A contact with this external id already exists.")
ACCOUNT_NAME_TAKEN = _("An account with this name already exists.")
# Which field a unique constraint protects, to answer a lost race with a field message.
CONSTRAINT_FIELDS = {
    "contact_unique_email_per_team": ("email", EMAIL_TAKEN),
    "contact_unique_email_without_team": ("email", EMAIL_TAKEN),
    "contact_unique_external_id_per_team": ("external_id", EXTERNAL_ID_TAKEN),
    "contact_unique_external_id_without_team": ("external_id", EXTERNAL_ID_TAKEN),
    "account_unique_name_per_team": ("name", ACCOUNT_NAME_TAKEN),
    "account_unique_name_without_team": ("name", ACCOUNT_NAME_TAKEN),
}


class ContactSerializer(ScopedRelationsMixin, serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = [
            "id",
            "team",
            "email",
            "name",
            "language",
            "external_id",
            "account",
            "attributes",
            "unsubscribed_at",
            "bounced_at",
            "last_surveyed_at",
            "created_at",
        ]
        read_only_fields = ["id", "unsubscribed_at", "bounced_at", "last_surveyed_at", "created_at"]
        # Uniqueness (within the team) is checked in validate() with the wording the race fallback uses.
        extra_kwargs = {"external_id": {"validators": []}}
        validators: list[Any] = []

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        # Unique within the team: each team keeps its own list, so only that list is checked.
        current = self.instance
        team = data["team"] if "team" in data else (current.team if current else self._default_team())
        same_team = Contact.objects.filter(team=team) if team is not None else Contact.objects.filter(team__isnull=True)
        if current is not None:
            same_team = same_team.exclude(pk=current.pk)
        email = data.get("email", current.email if current else "")
        external_id = data.get("external_id", current.external_id if current else "")
        errors = {}
        if same_team.filter(email__iexact=email).exists():
            errors["email"] = [EMAIL_TAKEN]
        if external_id and same_team.filter(external_id=external_id).exists():
            errors["external_id"] = [EXTERNAL_ID_TAKEN]
        account = data.get("account", current.account if current else None)
        if account is not None and account.team_id != (team.pk if team else None):
            errors["account"] = [_("The account belongs to another team.")]
        if errors:
            raise serializers.ValidationError(errors)
        data["team"] = team
        return data

    def _default_team(self) -> Team | None:
        request = self.context.get("request")
        if request is None:  # used from code, not over the API: no caller to take a team from
            return None
        try:
            return access.team_for_new(request.user, Contact, chosen=None)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None

    def validate_attributes(self, attributes: Any) -> dict[str, Any]:
        if not isinstance(attributes, dict):
            raise serializers.ValidationError(_("Attributes must be an object of key: value pairs."))
        return attributes


class ContactFilter(ScopedFilterSet):
    email = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Contact
        fields = ["team", "email", "language", "external_id", "account"]


class ContactErasureSerializer(serializers.ModelSerializer):
    erased_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ContactErasure
        fields = ["contact_id", "reason", "erased_by", "erased_at", "summary"]
        read_only_fields = fields


class ContactViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Contacts who can be surveyed."""

    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    ordering_fields = ["created_at", "email", "name"]
    action_permissions = {"export": "export", "erase": "erase"}
    throttle_scopes = {"export": "contact_privacy", "erase": "contact_privacy"}

    def get_queryset(self) -> QuerySet[Contact]:
        return Contact.objects.order_by("-created_at", "-pk")

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        save_unique(serializer)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        save_unique(serializer)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str) -> Response:
        """Everything stored about the contact, as JSON (tokens left out)."""
        contact = self.get_object()
        logger.info("Contact %s exported by user %s", contact.pk, request.user.pk)
        audit_record(actor=request.user, action=AuditAction.CONTACT_EXPORTED, target=contact, request=request)
        return Response(contact_export(contact=contact))

    @extend_schema(request=None, responses={200: ContactErasureSerializer})
    @action(detail=True, methods=["post"])
    def erase(self, request: Request, pk: str) -> Response:
        """Erase the contact: scores stay anonymous, the rest is redacted, the address is suppressed.

        Idempotent: erasing an erased contact answers with the first erasure.
        """
        # The contact row may be gone (erased before): the id is read from the URL, not the table.
        if not (pk.isascii() and pk.isdigit() and len(pk) <= 18):
            raise Http404
        # Not fetched through get_object() (the row may be gone), so the policy is asked here:
        # a contact the caller cannot see is a 404, one they see but may not erase a 403.
        contact = access.scope(Contact.objects.filter(pk=int(pk)), request.user).first()
        if contact is not None and not access.can(request.user, Action.ERASE, contact):
            raise PermissionDenied
        if contact is None and not access.is_administrator(request.user):
            raise Http404
        erasure = contact_erase(contact_id=int(pk), by=request.user)
        if erasure is None:
            raise Http404
        logger.info("Contact %s erased by user %s", erasure.contact_id, request.user.pk)
        audit_record(
            actor=request.user,
            action=AuditAction.CONTACT_ERASED,
            target=erasure,
            request=request,
            details={"contact_id": erasure.contact_id},
        )
        return Response(ContactErasureSerializer(erasure).data)


def save_unique(serializer: serializers.BaseSerializer) -> None:
    # The validators answer the usual case; this answers two requests racing for one email.
    try:
        with transaction.atomic():
            serializer.save()
    except IntegrityError as error:
        constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
        if constraint not in CONSTRAINT_FIELDS:
            raise
        field, message = CONSTRAINT_FIELDS[constraint]
        raise serializers.ValidationError({field: [message]}) from None


class ContactImportSerializer(serializers.ModelSerializer):
    progress_percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = ContactImport
        fields = [
            "id",
            "file_name",
            "status",
            "total_rows",
            "processed_rows",
            "progress_percent",
            "created_count",
            "updated_count",
            "error_count",
            "errors",
            "failure",
            "created_at",
            "heartbeat_at",
            "finished_at",
        ]
        read_only_fields = fields


class ContactImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("A UTF-8 CSV file with a header row containing an email column."))
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The team whose list the contacts join (your only team when omitted)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["team"].queryset = access.writable_teams(request.user, ContactImport)

    def validate_file(self, upload: Any) -> Any:
        if upload.size > MAX_FILE_BYTES:
            raise serializers.ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": MAX_FILE_BYTES // 2**20})
        return upload


class ContactImportViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """CSV imports of contacts: upload a file, then follow its progress and error report."""

    serializer_class = ContactImportSerializer
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = ["status"]
    ordering_fields = ["created_at"]

    def get_queryset(self) -> QuerySet[ContactImport]:
        # The stored file can be 50 MB; the API never sends it back.
        return ContactImport.objects.defer("content").order_by("-created_at", "-pk")

    @extend_schema(
        request={"multipart/form-data": ContactImportUploadSerializer}, responses={202: ContactImportSerializer}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Upload a CSV file; its contacts are imported in the background."""
        form = ContactImportUploadSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        # No team given and several to choose from: a 400 naming the team field.
        team = access.team_for_new(request.user, ContactImport, chosen=form.validated_data["team"])
        try:
            contact_import = contact_import_create(
                file_name=upload.name, content=upload.read(), by=request.user, team=team
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError({"file": error.messages}) from None
        # Re-read: with tasks run in-process the import may already have finished.
        contact_import = self.get_queryset().get(pk=contact_import.pk)
        return Response(self.get_serializer(contact_import).data, status=status.HTTP_202_ACCEPTED)


class SegmentSerializer(ScopedRelationsMixin, serializers.ModelSerializer):
    size = serializers.SerializerMethodField()

    class Meta:
        model = Segment
        fields = ["id", "team", "name", "rules", "size", "created_at"]
        read_only_fields = ["id", "size", "created_at"]

    def validate_rules(self, rules: Any) -> Any:
        try:
            segment_rules_validate(rules=rules)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        return rules

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_size(self, segment: Segment) -> int | None:
        """How many contacts the rules select right now; null if stored rules are invalid."""
        try:
            return segment_contacts(segment=segment).count()
        except DjangoValidationError:
            return None


class SegmentViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Saved filters over one team's contacts, with their live size."""

    serializer_class = SegmentSerializer
    filterset_fields = ["team"]
    ordering_fields = ["created_at", "name"]

    def get_queryset(self) -> QuerySet[Segment]:
        return Segment.objects.order_by("-created_at", "-pk")

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.save(
            team=access.team_for_new(self.request.user, Segment, chosen=serializer.validated_data.get("team"))
        )
