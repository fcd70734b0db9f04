"""The security log (append-only) and usernames locked after failed sign-ins from any mix of
addresses (#22)."""

import agreements.models.base
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from . import _rules


class Migration(migrations.Migration):

    dependencies = [
        ('agreements', '0006_compliance_history'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SecurityEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='when')),
                ('kind', models.CharField(choices=[('signed_in', 'Signed in'), ('sign_in_failed', 'Sign-in failed'), ('sign_in_refused', 'Sign-in refused: locked'), ('locked_from_address', 'Locked out from one address'), ('username_locked', 'Username locked for every address'), ('unlocked', 'Unlocked by an admin'), ('signed_out', 'Signed out'), ('second_factor_passed', 'Second factor given'), ('second_factor_failed', 'Wrong second-factor code'), ('identity_confirmed', 'Confirmed it was them, for a change'), ('second_factor_on', 'Two-factor sign-in turned on'), ('second_factor_off', 'Two-factor sign-in turned off'), ('recovery_codes_made', 'New recovery codes made'), ('password_changed', 'Password changed'), ('api_key_made', 'API key made'), ('api_key_revoked', 'API key revoked'), ('calendar_address_made', 'Calendar address made'), ('calendar_address_reset', 'Calendar address replaced')], max_length=30, verbose_name='what')),
                ('username', models.CharField(blank=True, max_length=150, verbose_name='username')),
                ('ip_address', models.GenericIPAddressField(blank=True, null=True, verbose_name='address')),
                ('user_agent', models.CharField(blank=True, max_length=300, verbose_name='browser')),
                ('path', models.CharField(blank=True, max_length=200, verbose_name='page')),
                ('request_id', models.CharField(blank=True, max_length=100, verbose_name='request id')),
                ('detail', models.CharField(blank=True, max_length=200, verbose_name='detail')),
                ('by', models.ForeignKey(blank=True, help_text='Who did it, when not the user themselves (an admin).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='security_events', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'security event',
                'verbose_name_plural': 'security log',
                'ordering': ['-at', '-pk'],
                'indexes': [models.Index(fields=['username', 'kind', 'at'], name='security_event_username'), models.Index(fields=['at'], name='security_event_at')],
                'constraints': [models.CheckConstraint(condition=models.Q(('kind__in', ['signed_in', 'sign_in_failed', 'sign_in_refused', 'locked_from_address', 'username_locked', 'unlocked', 'signed_out', 'second_factor_passed', 'second_factor_failed', 'identity_confirmed', 'second_factor_on', 'second_factor_off', 'recovery_codes_made', 'password_changed', 'api_key_made', 'api_key_revoked', 'calendar_address_made', 'calendar_address_reset'])), name='security_event_kind_valid', violation_error_message='Choose one of: Signed in, Sign-in failed, Sign-in refused: locked, Locked out from one address, Username locked for every address, Unlocked by an admin, Signed out, Second factor given, Wrong second-factor code, Confirmed it was them, for a change, Two-factor sign-in turned on, Two-factor sign-in turned off, New recovery codes made, Password changed, API key made, API key revoked, Calendar address made, Calendar address replaced.')],
            },
            bases=(agreements.models.base.ChoiceLabels, models.Model),
        ),
        migrations.CreateModel(
            name='SignInLock',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('username', models.CharField(max_length=150, verbose_name='username')),
                ('locked_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='locked at')),
                ('until', models.DateTimeField(verbose_name='until')),
                ('failures', models.PositiveIntegerField(verbose_name='failed sign-ins')),
                ('addresses', models.PositiveIntegerField(verbose_name='from addresses')),
                ('unlocked_at', models.DateTimeField(blank=True, null=True, verbose_name='unlocked at')),
                ('unlocked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='unlocked by')),
            ],
            options={
                'verbose_name': 'locked username',
                'verbose_name_plural': 'locked usernames',
                'ordering': ['-locked_at', '-pk'],
                'indexes': [models.Index(fields=['username', 'until'], name='sign_in_lock_username')],
            },
        ),
        # The security log is append-only: PostgreSQL refuses UPDATE and DELETE on it.
        _rules.append_only('agreements_securityevent'),
    ]
