"""Staff pages under /participation/ and the resident's own pages under
/participation/me/ (phone first; the resident portal links to them)."""

app_name = "participation"

# Each part adds its own patterns (urls_<part>.py) here.
urlpatterns: list = []
