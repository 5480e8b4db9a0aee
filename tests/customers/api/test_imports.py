import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from customers.models import ColumnMapping, ImportJob, OrderLine

pytestmark = pytest.mark.django_db

URL = "/api/v1/imports/"
KEYS = {
    "id",
    "status",
    "outcome",
    "phase",
    "mode",
    "file_name",
    "mapping",
    "rows_total",
    "rows_done",
    "rows_imported",
    "rows_rejected",
    "rows_inserted",
    "rows_updated",
    "rows_unchanged",
    "errors",
    "errors_total",
    "warnings_total",
    "message",
    "created_by",
    "created_at",
    "started_at",
    "finished_at",
    "recompute_status",
    "recomputed_at",
}
GOOD_CSV = (
    b"order_id,line_no,order_date,customer_code,customer_name,salesperson_code,product_line,amount\n"
    b"SO-100,1,2019-05-02,C-100,Acme Trading,S-N1,FUR-CH,120.50\n"
    b"SO-100,2,2019-05-02,C-100,Acme Trading,S-N2,FUR-TA,80\n"
)


def _upload(name="orders.csv", content=GOOD_CSV):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def _job(user, **fields):
    job = ImportJob(original_name=fields.pop("original_name", "orders.csv"), created_by=user)
    for name, value in fields.items():
        setattr(job, name, value)
    job.file.save("orders.csv", ContentFile(b"order_id\n"), save=False)
    job.save()
    return job


def _local(value: dt.datetime) -> str:
    return timezone.localtime(value).isoformat()


def test_import_detail_shape_of_a_job_stored_before_messages_were_kept_untranslated(
    client_as, company
):
    mapping = ColumnMapping.objects.create(name="ERP", columns={"amount": "Sales"})
    started = timezone.now() - dt.timedelta(minutes=2)
    finished = timezone.now() - dt.timedelta(minutes=1)
    job = _job(
        company.users["manager"],
        original_name="二月订单.xlsx",
        status=ImportJob.Status.SUCCEEDED,
        phase=ImportJob.Phase.DONE,
        mode=ImportJob.Mode.PARTIAL,
        mapping=mapping,
        rows_total=3,
        rows_done=3,
        rows_imported=2,
        rows_rejected=1,
        rows_inserted=1,
        rows_updated=1,
        rows_unchanged=0,
        errors=[{"row": 3, "column": "amount", "message": "Not a number.", "value": "x"}],
        errors_total=1,
        notices=[{"row": 2, "column": "customer_code", "message": "Kept."}],
        message="2 rows imported, 1 rejected.",
        started_at=started,
        finished_at=finished,
        recompute_status=ImportJob.RecomputeStatus.SUCCEEDED,
        recomputed_at=finished,
        affected_cells=[[company.rep.pk, "2019-05-01"]],
    )

    response = client_as("manager").get(f"{URL}{job.pk}/")

    assert response.status_code == 200
    assert response.json() == {
        "id": job.pk,
        "status": "succeeded",
        "phase": "done",
        "mode": "partial",
        "file_name": "二月订单.xlsx",
        "mapping": "ERP",
        "rows_total": 3,
        "rows_done": 3,
        "rows_imported": 2,
        "rows_rejected": 1,
        "rows_inserted": 1,
        "rows_updated": 1,
        "rows_unchanged": 0,
        "outcome": "with_errors",
        "errors": [
            {"row": 3, "column": "amount", "message": "Not a number.", "order": None, "code": None}
        ],
        "errors_total": 1,
        "warnings": [],
        "warnings_total": 0,
        "notices": [
            {"row": 2, "column": "customer_code", "message": "Kept.", "order": None, "code": None}
        ],
        "message": "2 rows imported, 1 rejected.",
        "created_by": "manager",
        "created_at": _local(job.created_at),
        "started_at": _local(started),
        "finished_at": _local(finished),
        "recompute_status": "succeeded",
        "recomputed_at": _local(finished),
    }


def test_users_see_only_their_own_imports_and_admins_see_all(client_as, company):
    mine = _job(company.users["manager"])
    theirs = _job(company.users["other_manager"])
    admins = _job(company.users["admin"])

    def ids(username):
        response = client_as(username).get(URL)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids("manager") == [mine.pk]
    assert ids("other_manager") == [theirs.pk]
    assert ids("admin") == [admins.pk, theirs.pk, mine.pk]
    assert ids("rep") == []


def test_someone_elses_import_is_404(client_as, company):
    theirs = _job(
        company.users["other_manager"], errors=[{"row": 2, "column": "x", "message": "m"}]
    )

    for username in ("manager", "rep", "south_rep"):
        response = client_as(username).get(f"{URL}{theirs.pk}/")
        assert response.status_code == 404, username
        assert response.json() == {"message": "Not found.", "code": "not_found"}
    assert client_as("admin").get(f"{URL}{theirs.pk}/").status_code == 200
    assert client_as("director").get(f"{URL}{theirs.pk}/").status_code == 200


def test_import_list_items_leave_out_row_errors(client_as, company):
    job = _job(company.users["manager"], errors=[{"row": 2, "column": "a", "message": "m"}])

    row = client_as("manager").get(URL).json()["results"][0]

    assert set(row) == KEYS - {"errors"}
    assert "warnings" not in row
    assert row["id"] == job.pk
    assert row["errors_total"] == 0


def test_manager_uploads_a_file_and_gets_202_with_the_queued_job(client_as, company):
    response = client_as("manager").post(URL, {"file": _upload()}, format="multipart")

    assert response.status_code == 202, response.content
    job = ImportJob.objects.get()
    assert response.json() == {
        "id": job.pk,
        "status": "queued",
        "outcome": "pending",
        "phase": "waiting",
        "mode": "all_or_nothing",
        "file_name": "orders.csv",
        "mapping": None,
        "rows_total": 0,
        "rows_done": 0,
        "rows_imported": 0,
        "rows_rejected": 0,
        "rows_inserted": 0,
        "rows_updated": 0,
        "rows_unchanged": 0,
        "errors": [],
        "errors_total": 0,
        "warnings": [],
        "warnings_total": 0,
        "notices": [],
        "message": "",
        "created_by": "manager",
        "created_at": _local(job.created_at),
        "started_at": None,
        "finished_at": None,
        "recompute_status": "pending",
        "recomputed_at": None,
    }


def test_uploaded_file_is_imported_after_commit_and_the_job_reports_it(
    client_as, company, django_capture_on_commit_callbacks
):
    manager = client_as("manager")

    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(URL, {"file": _upload()})

    assert response.status_code == 202
    job = manager.get(f"{URL}{response.json()['id']}/").json()
    assert job["status"] == "succeeded", job
    assert (job["rows_total"], job["rows_imported"], job["rows_rejected"]) == (2, 2, 0)
    assert job["errors"] == []
    rep_orders = client_as("rep").get("/api/v1/orders/").json()["results"]
    assert [(row["order_no"], row["line_no"], row["amount"]) for row in rep_orders] == [
        ("SO-100", 1, "120.50")
    ]


def test_upload_with_a_saved_mapping_and_partial_mode(client_as, company):
    ColumnMapping.objects.create(
        name="ERP", columns={"amount": "Sales"}, date_order=ColumnMapping.DateOrder.YMD
    )
    content = GOOD_CSV.replace(b",amount\n", b",Sales\n")

    response = client_as("admin").post(
        URL, {"file": _upload(content=content), "mapping": "ERP", "mode": "partial"}
    )

    assert response.status_code == 202, response.content
    assert response.json()["mapping"] == "ERP"
    assert response.json()["mode"] == "partial"
    assert ImportJob.objects.get().mapping.name == "ERP"


def test_fields_a_client_may_not_set_are_ignored(client_as, company):
    response = client_as("manager").post(
        URL,
        {
            "file": _upload(),
            "created_by": company.users["admin"].pk,
            "status": "succeeded",
            "rows_imported": 999,
            "errors_total": 0,
            "file_name": "other.csv",
        },
    )

    assert response.status_code == 202, response.content
    job = ImportJob.objects.get()
    assert job.created_by == company.users["manager"]
    assert job.original_name == "orders.csv"
    assert job.rows_imported != 999


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"mapping": "No such"}, "mapping", "No saved column mapping named “No such”."),
        ({"mode": "best_effort"}, "mode", '"best_effort" is not a valid choice.'),
    ],
)
def test_bad_upload_parameters_are_400_naming_the_field(client_as, company, data, field, message):
    response = client_as("manager").post(URL, {"file": _upload(), **data})

    assert response.status_code == 400
    assert response.json() == {
        "message": f"{field}: {message}",
        "code": "invalid",
        "fields": {field: [message]},
    }
    assert not ImportJob.objects.exists()


def test_upload_without_a_file_is_400(client_as, company):
    response = client_as("manager").post(URL, {"mode": "partial"})

    assert response.status_code == 400
    assert response.json()["fields"] == {"file": ["No file was submitted."]}


def test_rejected_file_is_400_in_the_error_shape(client_as, company):
    response = client_as("manager").post(
        URL, {"file": _upload("orders.pdf", b"%PDF-1.4 not an order file")}
    )

    assert response.status_code == 400
    assert set(response.json()) >= {"message", "code"}
    assert not OrderLine.objects.exists()


def test_too_large_file_is_413(client_as, company, settings):
    settings.SALESALLOC_IMPORT_MAX_BYTES = 10

    response = client_as("manager").post(URL, {"file": _upload()})

    assert response.status_code == 413
    assert set(response.json()) >= {"message", "code"}


@pytest.mark.parametrize("username", ["rep", "south_rep", "nobody"])
def test_users_who_do_not_manage_cannot_import(client_as, company, username):
    response = client_as(username).post(URL, {"file": _upload()})

    assert response.status_code == 403
    assert response.json() == {
        "message": "Only managers and administrators may do this.",
        "code": "permission_denied",
    }
    assert not ImportJob.objects.exists()


def test_anonymous_cannot_list_or_import(company):
    assert APIClient().get(URL).status_code == 401
    assert APIClient().post(URL, {"file": _upload()}).status_code == 401


def test_nobody_cannot_list_imports(client_as, company):
    assert client_as("nobody").get(URL).status_code == 403


def test_session_upload_without_csrf_is_refused(company):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(company.users["manager"])

    response = client.post(URL, {"file": _upload()})

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not ImportJob.objects.exists()


def test_import_list_query_count(client_as, company, django_assert_max_num_queries):
    mapping = ColumnMapping.objects.create(name="ERP", columns={"amount": "Sales"})
    for _ in range(15):
        _job(company.users["manager"], mapping=mapping)
    client = client_as("manager")

    with django_assert_max_num_queries(8):
        response = client.get(URL)

    assert response.json()["count"] == 15


def test_imports_cannot_be_edited_or_deleted(client_as, company):
    job = _job(company.users["manager"])
    client = client_as("manager")

    assert client.put(f"{URL}{job.pk}/", {"status": "failed"}, format="json").status_code == 405
    assert client.delete(f"{URL}{job.pk}/").status_code == 405


def test_row_errors_and_the_summary_follow_the_requests_language(client_as, company):
    from tests.customers.import_support import run_import

    job = run_import(
        b"order_id,order_date,customer_code,salesperson_code,product_line,amount\n"
        b"SO-1,2019-03-05,C-1,S-N1,FUR-CH,1\n"
        b"SO-2,2019-03-05,C-1,S-N1,Sofas,1\n",
        actor=company.users["manager"],
        mode="partial",
    )
    manager = client_as("manager")

    chinese = manager.get(f"{URL}{job.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    english = manager.get(f"{URL}{job.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()

    assert chinese["outcome"] == english["outcome"] == "with_errors"
    assert chinese["errors"] == [
        {
            "row": 3,
            "column": "product_line",
            "message": "未知的产品线“Sofas”。",
            "order": "SO-2",
            "code": "unknown_product_line",
        }
    ]
    assert english["errors"][0]["message"] == "Unknown product line 'Sofas'."
    assert chinese["message"].startswith("已导入 2 行中的 1 行")
    assert english["message"].startswith("Imported 1 of 2 rows")
