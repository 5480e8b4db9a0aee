"""Alerts API shapes (DESIGN §7, "Alerts")."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from performance.alerts.models import Alert
from performance.alerts.selectors import alert_message, alert_subject


class AlertFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Alert.Status.choices, required=False)
    level = serializers.ChoiceField(choices=Alert.Level.choices, required=False)
    kind = serializers.ChoiceField(choices=Alert.Kind.choices, required=False)


class AlertOutputSerializer(serializers.ModelSerializer):
    subject = serializers.SerializerMethodField()
    message = serializers.SerializerMethodField()
    owner = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = ["id", "kind", "level", "subject", "period", "message", "status", "owner"]

    def get_subject(self, alert: Alert) -> str:
        return alert_subject(alert)

    def get_message(self, alert: Alert) -> str:
        return alert_message(alert)

    def get_owner(self, alert: Alert) -> str | None:
        return alert.owner.get_username() if alert.owner else None


class AlertActionInputSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text=_("Why, or what was done.")
    )
