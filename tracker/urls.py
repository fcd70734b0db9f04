from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Agreement tracker: records admin"
admin.site.site_title = "Agreement tracker admin"
admin.site.index_title = "Records"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("agreements.urls")),
]
