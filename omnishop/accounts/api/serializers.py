from rest_framework import serializers

from ..models import User


class MeSerializer(serializers.ModelSerializer):
    roles = serializers.SlugRelatedField(source="groups", slug_field="name", many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "is_staff", "roles", "date_joined"]
        read_only_fields = fields
