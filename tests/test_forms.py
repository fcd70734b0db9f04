from __future__ import annotations

from django import forms

from agreements.forms import FastSelect


class PickForm(forms.Form):
    pick = forms.ChoiceField(
        choices=[("", "Any"), ("a", "Alpha"), ("x", "<script>x</script>")], widget=FastSelect
    )


def test_fast_select_renders_like_a_select_escaped_and_selected():
    html = str(PickForm({"pick": "a"})["pick"])
    assert html.startswith("<select") and 'name="pick"' in html and 'id="id_pick"' in html
    assert '<option value="a" selected>Alpha</option>' in html
    assert '<option value="">Any</option>' in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>" not in html


def test_fast_select_carries_the_error_attributes():
    html = str(PickForm({"pick": "zzz"})["pick"])
    assert 'aria-invalid="true"' in html
