"""Who may do what in the console: one table that the routes enforce and the pages read.

Every console route is named after an action of ``ACTIONS`` (``@router.get(..., name=...)``);
the route refuses any other role (``require``), and the templates show a link, a button or a
form only when ``can(action)`` says the reader's role may use it. So no page offers what its
reader may not do (no dead ends), and a test checks that every console route has an entry and
every link and form a role sees leads to a route that role may use.

Roles: ``admin`` (configuration: deployments, devices, users, keys), ``dpo`` (the compliance
officer: assessments, approvals, subjects' rights, records, filing), ``operator`` (the front
desk: people, their consent and enrolment codes).
"""

from __future__ import annotations

from dataclasses import dataclass

from facegate.service.access import Forbidden, Principal

STAFF = ("admin", "dpo", "operator")

ACTIONS: dict[str, tuple[str, ...]] = {
    # session
    "login": STAFF,
    "logout": STAFF,
    "account": STAFF,
    "account.password": STAFF,
    # the dashboard and deployments
    "dashboard": STAFF,
    "deployment.view": STAFF,
    "deployment.create": ("admin",),
    "deployment.activate": ("admin",),
    "device.register": ("admin",),
    "pipia.create": ("admin", "dpo"),
    "pipia.edit": ("admin", "dpo"),
    "pipia.approve": ("dpo",),
    "notice.publish": ("admin", "dpo"),
    "notice.view": STAFF,
    "notice.sign": ("admin", "dpo"),
    # subjects' rights (by pseudonymous id) and the documents
    "subjects.view": ("dpo",),
    "subjects.withdraw": ("dpo", "operator"),
    "subjects.reconsent": ("dpo", "operator"),
    "subjects.delete": ("dpo",),
    "records.export": ("admin", "dpo"),
    "filing.package": ("dpo",),
    # what operators look at every day (counts only for the desk; the audit log and the PIPIA
    # name subjects' pseudonyms and the risks, as their REST routes do)
    "events.view": STAFF,
    "audit.view": ("admin", "dpo"),
    "pipia.read": ("admin", "dpo"),
    # people at the front desk
    "people.view": ("dpo", "operator"),
    "people.add": ("dpo", "operator"),
    "people.edit": ("dpo", "operator"),
    "people.code": ("dpo", "operator"),
    "people.code_revoke": ("dpo", "operator"),
    "people.withdraw": ("dpo", "operator"),
    "people.erase": ("dpo",),
    # staff and machines
    "users.view": ("admin",),
    "users.add": ("admin",),
    "users.change": ("admin",),
    "keys.view": ("admin",),
    "keys.create": ("admin",),
    "keys.revoke": ("admin",),
}
"""Action -> the roles that may perform it."""


def allowed(role: str | None, action: str) -> bool:
    """May ``role`` perform ``action``? Unknown actions are allowed to nobody."""
    return role is not None and role in ACTIONS.get(action, ())


def require(who: Principal, action: str) -> None:
    """Refuse (403) a role the table does not list for ``action``."""
    roles = ACTIONS.get(action, ())
    if who.role not in roles:
        names = ", ".join(roles) or "nobody"
        raise Forbidden(
            f"the {who.role} role may not do this; allowed: {names}",
            key="error.forbidden.roles",
            params={"role": who.role, "allowed": names},
        )


@dataclass(frozen=True)
class NavItem:
    action: str
    href: str
    label_key: str  # a message-catalogue key (console.nav.*)


NAV: tuple[NavItem, ...] = (
    NavItem("dashboard", "/console", "console.nav.dashboard"),
    NavItem("deployment.create", "/console/deployments/new", "console.nav.new_deployment"),
    NavItem("people.view", "/console/people", "console.nav.people"),
    NavItem("events.view", "/console/events", "console.events.menu"),
    NavItem("audit.view", "/console/audit", "console.audit.menu"),
    NavItem("subjects.view", "/console/subjects", "console.nav.subjects"),
    NavItem("users.view", "/console/users", "console.nav.users"),
    NavItem("keys.view", "/console/keys", "console.nav.keys"),
    NavItem("account", "/console/account", "console.nav.account"),
)
"""The console's menu, in order; each item shows only to the roles of its action."""


def nav_for(role: str | None) -> list[NavItem]:
    return [item for item in NAV if allowed(role, item.action)]
