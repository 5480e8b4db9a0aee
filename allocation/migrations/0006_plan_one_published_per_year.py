"""One truth per year: at most one published plan per fiscal year and scope (root org unit).

Existing data may hold several published plans of one year and scope (publishing used to
archive only earlier versions of the same plan). Before the partial unique constraint is
added, every such group keeps its most recently published plan (latest ``published_at``,
then the highest id) and the others are archived, each with an audit row saying why. Run
again, it finds nothing to do. Reversing drops the constraint and leaves the archived
plans archived (which plan was current is not guessed back).
"""

from django.db import migrations, models
from django.utils import timezone

REASON = "Archived by the one-published-plan-per-year rule: plan %(keep)s (v%(version)s) is current."


def archive_duplicates(apps, schema_editor):
    Plan = apps.get_model("allocation", "Plan")
    PlanChange = apps.get_model("allocation", "PlanChange")
    published = Plan.objects.filter(status="published").order_by(
        "fiscal_year", "root_org_unit_id", models.F("published_at").desc(nulls_last=True), "-pk"
    )
    kept = {}
    now = timezone.now()
    for plan in published.iterator():
        key = (plan.fiscal_year, plan.root_org_unit_id)
        if key not in kept:
            kept[key] = plan
            continue
        keep = kept[key]
        Plan.objects.filter(pk=plan.pk).update(status="archived", archived_at=now, updated_at=now)
        PlanChange.objects.create(
            plan_id=plan.pk,
            action="archive",
            reason=REASON % {"keep": keep.name, "version": keep.version},
            details={"from": "published", "to": "archived", "kept_plan": keep.pk},
        )


class Migration(migrations.Migration):

    dependencies = [
        ('allocation', '0005_planupload_heartbeat'),
    ]

    operations = [
        migrations.RunPython(archive_duplicates, reverse_code=migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='plan',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'published')), fields=('fiscal_year', 'root_org_unit'), name='plan_one_published_per_year_scope', violation_error_message='Another plan of this fiscal year and org unit is already published.'),
        ),
    ]
