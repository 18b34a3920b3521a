"""Hidden voices: who takes part compared with who lives in the hub's area.

- `profile`: the area's population profile (Census 2021 counts per "about you"
  category), parsed and checked from a CSV;
- `store`: the imported profile in the instance folder (`population_profile.csv`
  and `.json`), imported with `hubnet hub profile import` (`cli`);
- `representation`: each group's representation ratio with its 95% interval and flag;
- `services`: the SQL counts of participants per group and the channels that reached them;
- `views`: `/staff/hidden-voices` for admins, facilitators and moderators.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, so the pure modules (profile, representation) load without Flask views.
    from hub.voices.views import pages

    app.register_blueprint(pages)
