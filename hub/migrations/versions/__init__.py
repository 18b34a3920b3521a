"""One file per revision, named `<rev>_<slug>.py`, each with upgrade and downgrade."""
