"""The admin's menu of every model (``AdminSite.get_app_list``, on every admin page), its
names and addresses worked out once (issue #27, point 7)."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.text import capfirst
from django.utils.translation import get_language

from ..kept import kept_per_language


def app_list_named_once(site: admin.AdminSite):
    """``AdminSite.get_app_list`` (the menu of every model, on every admin page), as Django
    builds it (``AdminSite._build_app_dict``, then sorted by name), with each model's and
    app's name and addresses worked out once (``_menu``), not on every page: Django reverses
    two addresses a model and translates each name again at every comparison of its sort
    (hundreds a page). Only the permissions are asked again, as Django asks them."""

    def get_app_list(request, app_label=None):
        listed = {}
        for entry in _menu(site):
            model, model_admin = entry["model"], entry["admin"]
            if app_label and model._meta.app_label != app_label:
                continue
            has_module_perms = model_admin.has_module_permission(request)
            if not has_module_perms:
                continue
            perms = model_admin.get_model_perms(request)
            if True not in perms.values():
                continue
            model_dict = {
                "model": model,
                "name": entry["name"],
                "object_name": model._meta.object_name,
                "perms": perms,
                "admin_url": None,
                "add_url": None,
            }
            if perms.get("change") or perms.get("view"):
                model_dict["view_only"] = not perms.get("change")
                model_dict["admin_url"] = entry["admin_url"]
            if perms.get("add"):
                model_dict["add_url"] = entry["add_url"]
            label = model._meta.app_label
            if label in listed:
                listed[label]["models"].append(model_dict)
            else:
                listed[label] = {
                    "name": entry["app_name"],
                    "app_label": label,
                    "app_url": entry["app_url"],
                    "has_module_perms": has_module_perms,
                    "models": [model_dict],
                }
        for app in listed.values():
            app["models"].sort(key=lambda model: model["name"])
        return sorted(listed.values(), key=lambda app: app["name"].lower())

    return get_app_list


# Each site's menu entries (``_menu``), by the language and the addresses they were made in.
MENUS: dict[tuple, list[dict]] = kept_per_language({})


def _menu(site: admin.AdminSite) -> list[dict]:
    """Each registered model of ``site``: its name and its app's (translated, as text), and
    the addresses of its list, its add page and its app (``None`` where Django's ``reverse``
    finds none), for the current language, URLconf and script prefix and the models
    registered."""
    registered = tuple(site._registry.items())
    key = (site.name, registered, get_language(), get_urlconf(), get_script_prefix())
    try:
        return MENUS[key]
    except KeyError:
        pass

    def address(name: str, **kwargs) -> str | None:
        try:
            return reverse(name, kwargs=kwargs or None, current_app=site.name)
        except NoReverseMatch:
            return None

    entries = []
    for model, model_admin in registered:
        info = (model._meta.app_label, model._meta.model_name)
        entries.append(
            {
                "model": model,
                "admin": model_admin,
                "name": str(capfirst(model._meta.verbose_name_plural)),
                "admin_url": address(f"admin:{info[0]}_{info[1]}_changelist"),
                "add_url": address(f"admin:{info[0]}_{info[1]}_add"),
                "app_name": str(apps.get_app_config(info[0]).verbose_name),
                "app_url": reverse(
                    "admin:app_list", kwargs={"app_label": info[0]}, current_app=site.name
                ),
            }
        )
    MENUS[key] = entries
    return entries
