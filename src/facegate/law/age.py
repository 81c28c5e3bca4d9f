"""Age in full years, and who counts as a minor needing a guardian's consent (M7, PIPL31)."""

from __future__ import annotations

from datetime import date

from facegate.law.dates import add_years

MINOR_AGE = 14
"""Under this age a parent or guardian consents (PIPL31)."""


def age_on(date_of_birth: date, day: date) -> int:
    """Full years of age on ``day``; a birthday on 29 February is reached on 1 March in
    common years. ``ValueError`` if ``day`` is before the birth."""
    if day < date_of_birth:
        raise ValueError(f"{day.isoformat()} is before the date of birth")
    years = day.year - date_of_birth.year
    return years if add_years(date_of_birth, years) <= day else years - 1


def is_minor(date_of_birth: date, day: date) -> bool:
    """Under 14 on ``day``: exactly 14 on the fourteenth birthday is not a minor."""
    return age_on(date_of_birth, day) < MINOR_AGE
