"""CSV contact imports: upserts, the per-row report, chunked queries, resuming, admin and API."""

import csv
import io
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from celery import current_app
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import include, path
from django.utils import timezone
from rest_framework import serializers
from rest_framework.routers import DefaultRouter

from surveys.contact_import import contact_import_create, contact_import_run, contact_import_sweep
from surveys.contact_tasks import contact_import_run_task
from surveys.contacts_api import ContactImportViewSet, ContactSerializer, ContactViewSet, SegmentViewSet, save_unique
from surveys.models import Contact, ContactImport
from tests.conftest import make_contact
from vocsite.urls import urlpatterns as project_urlpatterns

pytestmark = pytest.mark.django_db

# The API tests route through these until vocsite/urls.py registers the same viewsets.
router = DefaultRouter()
router.register("contacts", ContactViewSet, basename="contact")
router.register("contact-imports", ContactImportViewSet, basename="contact-import")
router.register("segments", SegmentViewSet, basename="segment")
urlpatterns = [path("api/v1/", include(router.urls)), *project_urlpatterns]

HEADER = ["email", "name", "language", "external_id"]


@pytest.fixture(autouse=True)
def _eager_tasks() -> Iterator[None]:
    """Run tasks in-process even when the environment names a broker (tests/run.sh does)."""
    before = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    yield
    current_app.conf.task_always_eager = before


def csv_bytes(*rows: list[str], header: list[str] = HEADER, bom: bool = False) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + text.getvalue().encode()


@pytest.fixture
def import_csv(django_capture_on_commit_callbacks: Any) -> Callable[..., ContactImport]:
    """Upload a file as a request would and run the import its commit enqueues."""

    def upload(content: bytes, *, file_name: str = "contacts.csv") -> ContactImport:
        with django_capture_on_commit_callbacks(execute=True):
            contact_import = contact_import_create(file_name=file_name, content=content, by=None)
        contact_import.refresh_from_db()
        return contact_import

    return upload


def counts(contact_import: ContactImport) -> dict[str, Any]:
    fields = ["status", "total_rows", "processed_rows", "created_count", "updated_count", "error_count"]
    return {name: getattr(contact_import, name) for name in fields}


def test_a_new_email_creates_a_contact_and_a_known_one_updates_it_case_insensitively(import_csv: Callable) -> None:
    known = make_contact(email="Ann@Example.com", name="Ann", language="en")

    done = import_csv(csv_bytes(["ann@example.COM", "Ann Lee", "zh", ""], ["new@example.com", "New", "", ""]))

    assert counts(done) == {
        "status": "done",
        "total_rows": 2,
        "processed_rows": 2,
        "created_count": 1,
        "updated_count": 1,
        "error_count": 0,
    }
    known.refresh_from_db()
    assert (known.email, known.name, known.language) == ("ann@example.COM", "Ann Lee", "zh-hans")
    assert Contact.objects.get(email="new@example.com").language == "en"
    assert done.finished_at is not None


def test_a_row_with_an_external_id_updates_that_contact_even_when_its_email_changed(import_csv: Callable) -> None:
    known = make_contact(email="old@example.com", external_id="CRM-1")

    done = import_csv(csv_bytes(["new@example.com", "Renamed", "en", "CRM-1"]))

    known.refresh_from_db()
    assert (known.email, known.name) == ("new@example.com", "Renamed")
    assert (done.created_count, done.updated_count, Contact.objects.count()) == (0, 1, 1)


def test_an_external_id_is_linked_to_the_contact_found_by_email(import_csv: Callable) -> None:
    known = make_contact(email="ann@example.com")

    import_csv(csv_bytes(["ANN@example.com", "", "", "CRM-7"]))

    known.refresh_from_db()
    assert known.external_id == "CRM-7"
    assert Contact.objects.count() == 1


def test_bad_rows_are_reported_with_their_row_numbers_and_the_others_imported(import_csv: Callable) -> None:
    make_contact(email="taken@example.com", external_id="CRM-9")
    content = csv_bytes(
        ["ok@example.com", "Ok", "en", "CRM-1"],  # row 2
        ["not-an-email", "Bad", "en", ""],  # row 3
        ["fr@example.com", "Fr", "français", ""],  # row 4
        ["OK@example.com", "Again", "en", ""],  # row 5
        ["other@example.com", "Same id", "en", "CRM-1"],  # row 6
        ["", "No email", "en", ""],  # row 7
        ["taken@example.com", "Clash", "en", "CRM-2"],  # row 8
        ["last@example.com", "Last", "en", ""],  # row 9
    )

    done = import_csv(content)

    assert done.errors == [
        {"row": 3, "email": "not-an-email", "error": "This is not a valid email address."},
        {"row": 4, "email": "fr@example.com", "error": "Unknown language “français”; use en or zh-hans."},
        {"row": 5, "email": "OK@example.com", "error": "This email already appears on an earlier row of the file."},
        {
            "row": 6,
            "email": "other@example.com",
            "error": "This external id already appears on an earlier row of the file.",
        },
        {"row": 7, "email": "", "error": "The email is missing."},
        {"row": 8, "email": "taken@example.com", "error": "This email belongs to a contact with another external id."},
    ]
    assert counts(done) == {
        "status": "done",
        "total_rows": 8,
        "processed_rows": 8,
        "created_count": 2,
        "updated_count": 0,
        "error_count": 6,
    }
    assert sorted(Contact.objects.values_list("email", flat=True)) == [
        "last@example.com",
        "ok@example.com",
        "taken@example.com",
    ]


@pytest.mark.parametrize(
    ("spelling", "language"),
    [
        *[("en", "en"), ("English", "en"), ("zh", "zh-hans"), ("zh-cn", "zh-hans")],
        *[("zh_CN", "zh-hans"), ("zh-Hans", "zh-hans"), ("ZH-HANS", "zh-hans"), ("中文", "zh-hans")],
    ],
)
def test_common_language_spellings_are_accepted(import_csv: Callable, spelling: str, language: str) -> None:
    done = import_csv(csv_bytes(["ann@example.com", "Ann", spelling, ""]))

    assert done.error_count == 0
    assert Contact.objects.get().language == language


def test_other_columns_become_attributes_and_empty_cells_change_nothing(import_csv: Callable) -> None:
    known = make_contact(
        email="ann@example.com", name="Ann", language="zh-hans", attributes={"plan": "pro", "tier": "1"}
    )
    header = ["Email", "NAME", "Language", "External ID", "plan", "Region"]

    import_csv(
        csv_bytes(["ann@example.com", "", "", "", "", "EU"], ["bob@example.com", "", "", "", "", ""], header=header)
    )

    known.refresh_from_db()
    assert (known.name, known.language, known.attributes) == (
        "Ann",
        "zh-hans",
        {"plan": "pro", "tier": "1", "Region": "EU"},
    )
    assert Contact.objects.get(email="bob@example.com").attributes == {}


def test_formula_and_html_cells_are_stored_verbatim(import_csv: Callable) -> None:
    header = [*HEADER, "note", "total", "handle", "balance"]
    row = [
        "ann@example.com",
        "<b>Ann</b>",
        "en",
        "",
        "<script>alert(1)</script>",
        "=1+2",
        "@SUM(A1)",
        "-3+cmd|' /C calc'!A0",
    ]

    import_csv(csv_bytes(row, header=header))

    contact = Contact.objects.get()
    assert contact.name == "<b>Ann</b>"
    assert contact.attributes == {
        "note": "<script>alert(1)</script>",
        "total": "=1+2",
        "handle": "@SUM(A1)",
        "balance": "-3+cmd|' /C calc'!A0",
    }


def test_a_byte_order_mark_and_blank_lines_are_ignored(import_csv: Callable) -> None:
    content = "\ufeffEMAIL,Name\r\n\r\nann@example.com,Ann\r\n,\r\n".encode()

    done = import_csv(content)

    assert (done.total_rows, done.created_count, done.error_count) == (1, 1, 0)
    assert Contact.objects.get().email == "ann@example.com"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,phone\r\nAnn,1\r\n", "The first row must be a header with an email column (found: name, phone)."),
        ("email,name\r\nann@example.com,Zoë\r\n".encode("latin-1"), "The file is not UTF-8 text."),
        (b"email\r\n", "The file has a header but no rows of contacts."),
        (b"", "The file is empty."),
        (b"email,,name\r\na@example.com,x,y\r\n", "Column 2 has no name in the header row."),
        (b"email,Email\r\na@example.com,b@example.com\r\n", "The column Email appears twice in the header row."),
    ],
)
def test_a_file_that_cannot_be_imported_is_refused_with_a_clear_message(content: bytes, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        contact_import_create(file_name="contacts.csv", content=content, by=None)

    assert refused.value.messages[0].startswith(message)
    assert ContactImport.objects.count() == 0


def test_the_error_report_is_capped_but_the_error_count_is_true(import_csv: Callable) -> None:
    rows = [[f"bad-{number}", "", "", ""] for number in range(1005)]

    done = import_csv(csv_bytes(*rows))

    assert (done.error_count, len(done.errors)) == (1005, 1000)
    assert (done.errors[0]["row"], done.errors[-1]["row"]) == (2, 1001)


def people_csv(count: int, *, name: str) -> bytes:
    return csv_bytes(*([f"person{n}@example.com", f"{name} {n}", "en", f"ID-{n}"] for n in range(count)))


def test_an_import_runs_in_a_bounded_number_of_queries_per_chunk(django_assert_max_num_queries: Any) -> None:
    first = contact_import_create(file_name="a.csv", content=people_csv(2000, name="Person"), by=None)
    renamed = contact_import_create(file_name="b.csv", content=people_csv(2000, name="Renamed"), by=None)

    # Two chunks of 1,000 rows: a claim, a load, five queries per chunk and a finish.
    with django_assert_max_num_queries(13):
        contact_import_run(import_id=first.pk)
    with django_assert_max_num_queries(13):
        contact_import_run(import_id=renamed.pk)

    first.refresh_from_db()
    renamed.refresh_from_db()
    assert (first.status, first.created_count, first.updated_count) == ("done", 2000, 0)
    assert (renamed.status, renamed.created_count, renamed.updated_count) == ("done", 0, 2000)
    assert Contact.objects.filter(name__startswith="Renamed ").count() == 2000


def test_reimporting_an_unchanged_file_writes_no_contact(django_assert_max_num_queries: Any) -> None:
    first = contact_import_create(file_name="a.csv", content=people_csv(1500, name="Person"), by=None)
    again = contact_import_create(file_name="b.csv", content=people_csv(1500, name="Person"), by=None)
    contact_import_run(import_id=first.pk)
    stamps = dict(Contact.objects.values_list("email", "updated_at"))

    with django_assert_max_num_queries(11):
        contact_import_run(import_id=again.pk)

    again.refresh_from_db()
    assert (again.status, again.created_count, again.updated_count) == ("done", 0, 1500)
    assert dict(Contact.objects.values_list("email", "updated_at")) == stamps


def test_a_contact_moving_to_a_new_email_frees_the_old_one_for_a_new_contact(import_csv: Callable) -> None:
    moving = make_contact(email="old@example.com", external_id="CRM-1")

    done = import_csv(csv_bytes(["new@example.com", "", "", "CRM-1"], ["old@example.com", "Successor", "", ""]))

    moving.refresh_from_db()
    assert (done.created_count, done.updated_count, done.error_count) == (1, 1, 0)
    assert moving.email == "new@example.com"
    assert Contact.objects.get(email="old@example.com").name == "Successor"


def test_a_crashed_import_resumes_where_it_stopped(django_capture_on_commit_callbacks: Any) -> None:
    rows = [[f"person{number}@example.com", "", "", ""] for number in range(2500)]
    rows[1800] = ["person5@example.com", "", "", ""]  # row 1802 repeats row 7, which ran before the crash
    crashed = contact_import_create(file_name="big.csv", content=csv_bytes(*rows), by=None)
    Contact.objects.bulk_create(Contact(email=email) for email, *_ in rows[:1000])
    ContactImport.objects.filter(pk=crashed.pk).update(
        status="running", processed_rows=1000, created_count=1000, heartbeat_at=timezone.now() - timedelta(minutes=10)
    )

    with django_capture_on_commit_callbacks(execute=True):
        swept = contact_import_sweep()

    crashed.refresh_from_db()
    assert swept == 1
    assert counts(crashed) == {
        "status": "done",
        "total_rows": 2500,
        "processed_rows": 2500,
        "created_count": 2499,
        "updated_count": 0,
        "error_count": 1,
    }
    assert crashed.errors == [
        {
            "row": 1802,
            "email": "person5@example.com",
            "error": "This email already appears on an earlier row of the file.",
        }
    ]
    assert Contact.objects.count() == 2499


def test_a_running_import_with_a_fresh_heartbeat_is_left_alone() -> None:
    running = contact_import_create(file_name="a.csv", content=csv_bytes(["ann@example.com", "", "", ""]), by=None)
    ContactImport.objects.filter(pk=running.pk).update(status="running", heartbeat_at=timezone.now())

    swept = contact_import_sweep()
    contact_import_run(import_id=running.pk)

    running.refresh_from_db()
    assert (swept, running.status, running.processed_rows, Contact.objects.count()) == (0, "running", 0, 0)


def test_a_finished_or_deleted_import_is_not_run_again(import_csv: Callable) -> None:
    done = import_csv(csv_bytes(["ann@example.com", "", "", ""]))
    Contact.objects.all().delete()

    contact_import_run_task(done.pk)
    contact_import_run_task(done.pk + 1000)

    done.refresh_from_db()
    assert (done.status, done.created_count, Contact.objects.count()) == ("done", 1, 0)


def test_a_broker_outage_does_not_fail_the_upload_and_the_sweep_picks_it_up(
    django_capture_on_commit_callbacks: Any, unreachable_broker: None
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        waiting = contact_import_create(file_name="a.csv", content=csv_bytes(["ann@example.com", "", "", ""]), by=None)
    assert waiting.status == "pending"

    current_app.conf.task_always_eager = True
    assert contact_import_sweep() == 0  # younger than a minute: its message may still arrive
    ContactImport.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        swept = contact_import_sweep()

    waiting.refresh_from_db()
    assert (swept, waiting.status, Contact.objects.get().email) == (1, "done", "ann@example.com")


def test_staff_upload_a_file_in_admin_and_see_its_progress(
    admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    upload = SimpleUploadedFile("people.csv", csv_bytes(["ann@example.com", "Ann", "en", ""], ["bad", "", "", ""]))

    with django_capture_on_commit_callbacks(execute=True):
        posted = admin_client.post("/admin/surveys/contactimport/add/", {"file": upload})
    done = ContactImport.objects.get()
    page = admin_client.get(posted["Location"])

    assert posted.status_code == 302
    assert posted["Location"] == f"/admin/surveys/contactimport/{done.pk}/change/"
    assert (done.file_name, done.status, done.created_count) == ("people.csv", "done", 1)
    html = page.content.decode()
    assert '<progress value="2" max="2">100%</progress> 2 of 2 rows' in html
    assert "<td>3</td><td>bad</td><td>This is not a valid email address.</td>" in html
    assert 'http-equiv="refresh"' not in html


def test_a_running_import_page_refreshes_itself_and_escapes_the_report(admin_client: Client) -> None:
    running = contact_import_create(file_name="x.csv", content=csv_bytes(["a@example.com", "", "", ""]), by=None)
    ContactImport.objects.filter(pk=running.pk).update(
        status="running",
        total_rows=4000,
        processed_rows=1000,
        error_count=1,
        errors=[{"row": 9, "email": "<script>alert(1)</script>", "error": "This is not a valid email address."}],
    )

    html = admin_client.get(f"/admin/surveys/contactimport/{running.pk}/change/").content.decode()

    assert '<meta http-equiv="refresh" content="2">' in html
    assert '<progress value="1000" max="4000">25%</progress> 1000 of 4000 rows' in html
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in html
    assert "<script>alert(1)</script>" not in html


def test_admin_refuses_a_file_that_is_not_csv(admin_client: Client) -> None:
    upload = SimpleUploadedFile("people.xlsx", b"PK\x03\x04")

    page = admin_client.post("/admin/surveys/contactimport/add/", {"file": upload})

    assert page.status_code == 200
    assert "Upload a .csv file." in page.content.decode()
    assert ContactImport.objects.count() == 0


def test_admin_reports_a_missing_email_column_on_the_upload_form(admin_client: Client) -> None:
    upload = SimpleUploadedFile("people.csv", b"name\r\nAnn\r\n")

    page = admin_client.post("/admin/surveys/contactimport/add/", {"file": upload})

    assert page.status_code == 200
    assert "The first row must be a header with an email column (found: name)." in page.content.decode()
    assert ContactImport.objects.count() == 0


def test_the_contact_list_shows_imported_html_as_text(admin_client: Client) -> None:
    make_contact(email="ann@example.com", attributes={"note": "<script>alert(1)</script>"})

    html = admin_client.get("/admin/surveys/contact/").content.decode()

    assert "note: &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html


def test_the_contact_list_filters_unsubscribed_and_bounced_contacts(admin_client: Client) -> None:
    make_contact(email="gone@example.com", unsubscribed_at=timezone.now())
    make_contact(email="bounced@example.com", bounced_at=timezone.now())
    make_contact(email="here@example.com")

    unsubscribed = admin_client.get("/admin/surveys/contact/?unsubscribed=yes")
    reachable = admin_client.get("/admin/surveys/contact/?unsubscribed=no&bounced=no")

    assert [c.email for c in unsubscribed.context["cl"].result_list] == ["gone@example.com"]
    assert [c.email for c in reachable.context["cl"].result_list] == ["here@example.com"]


@pytest.mark.urls(__name__)
def test_an_api_upload_is_accepted_with_202_and_its_contacts_appear(
    admin_client: Client, admin_user: AbstractUser, django_capture_on_commit_callbacks: Any
) -> None:
    upload = SimpleUploadedFile("api.csv", csv_bytes(["ann@example.com", "Ann", "en", "CRM-1"]))

    with django_capture_on_commit_callbacks(execute=True):
        posted = admin_client.post("/api/v1/contact-imports/", {"file": upload})
    shown = admin_client.get(f"/api/v1/contact-imports/{posted.json()['id']}/")

    assert posted.status_code == 202
    assert shown.json() | {"created_at": None, "heartbeat_at": None, "finished_at": None} == {
        "id": posted.json()["id"],
        "file_name": "api.csv",
        "status": "done",
        "total_rows": 1,
        "processed_rows": 1,
        "progress_percent": 100,
        "created_count": 1,
        "updated_count": 0,
        "error_count": 0,
        "errors": [],
        "failure": "",
        "created_at": None,
        "heartbeat_at": None,
        "finished_at": None,
    }
    assert Contact.objects.get().external_id == "CRM-1"
    assert ContactImport.objects.get().created_by == admin_user


@pytest.mark.urls(__name__)
def test_an_api_upload_without_an_email_column_is_a_400_with_a_field_message(admin_client: Client) -> None:
    upload = SimpleUploadedFile("api.csv", b"name\r\nAnn\r\n")

    posted = admin_client.post("/api/v1/contact-imports/", {"file": upload})

    assert posted.status_code == 400
    assert posted.json() == {"file": ["The first row must be a header with an email column (found: name)."]}


@pytest.mark.urls(__name__)
def test_an_api_contact_with_a_taken_email_in_another_case_is_a_400(admin_client: Client) -> None:
    make_contact(email="ann@example.com")

    posted = admin_client.post(
        "/api/v1/contacts/", {"email": "ANN@example.com", "name": "Ann"}, content_type="application/json"
    )

    assert posted.status_code == 400
    assert posted.json() == {"email": ["A contact with this email already exists."]}
    assert Contact.objects.count() == 1


@pytest.mark.urls(__name__)
def test_api_contacts_are_created_and_filtered_by_email_in_any_case(admin_client: Client) -> None:
    posted = admin_client.post(
        "/api/v1/contacts/",
        {"email": "ann@example.com", "name": "Ann", "language": "zh-hans", "attributes": {"plan": "pro"}},
        content_type="application/json",
    )
    make_contact(email="bob@example.com")

    found = admin_client.get("/api/v1/contacts/?email=ANN@EXAMPLE.COM")

    assert posted.status_code == 201
    assert [(c["email"], c["language"], c["attributes"]) for c in found.json()["results"]] == [
        ("ann@example.com", "zh-hans", {"plan": "pro"})
    ]


@pytest.mark.urls(__name__)
def test_api_contacts_may_share_a_blank_external_id_but_not_a_real_one(admin_client: Client) -> None:
    make_contact(email="ann@example.com", external_id="")
    make_contact(email="bob@example.com", external_id="CRM-1")

    blank = admin_client.post("/api/v1/contacts/", {"email": "cy@example.com"}, content_type="application/json")
    taken = admin_client.post(
        "/api/v1/contacts/", {"email": "di@example.com", "external_id": "CRM-1"}, content_type="application/json"
    )

    assert blank.status_code == 201
    assert taken.status_code == 400
    assert taken.json() == {"external_id": ["A contact with this external id already exists."]}


def test_a_contact_saved_by_a_racing_request_is_a_field_error_not_a_500() -> None:
    serializer = ContactSerializer(data={"email": "ann@example.com"})
    assert serializer.is_valid()
    make_contact(email="ANN@example.com")  # another request wins between validation and save

    with pytest.raises(serializers.ValidationError) as refused:
        save_unique(serializer)

    assert refused.value.detail == {"email": ["A contact with this email already exists."]}
    assert Contact.objects.count() == 1


def test_an_account_column_links_contacts_to_accounts_creating_the_new_ones(import_csv: Callable) -> None:
    from surveys.models import Account

    existing = Account.objects.create(name="Northwind Trading")
    kept = make_contact(email="kept@example.com", account=existing)
    header = ["email", "name", "Account"]

    done = import_csv(
        csv_bytes(
            ["ana@example.com", "Ana", "northwind  trading"],
            ["bo@example.com", "Bo", "Fabrikam"],
            ["cy@example.com", "Cy", "FABRIKAM"],
            ["kept@example.com", "Kept", ""],
            ["long@example.com", "Long", "x" * 201],
            header=header,
        )
    )

    assert (done.created_count, done.updated_count, done.error_count) == (3, 1, 1)
    assert done.errors[0]["error"] == "The account name is longer than 200 characters."
    accounts = dict(Contact.objects.exclude(account=None).values_list("email", "account__name"))
    assert accounts == {
        "ana@example.com": "Northwind Trading",
        "bo@example.com": "Fabrikam",
        "cy@example.com": "Fabrikam",
        "kept@example.com": "Northwind Trading",  # an empty cell keeps the account it had
    }
    assert Account.objects.count() == 2
    kept.refresh_from_db()
    assert kept.name == "Kept" and "Account" not in kept.attributes
