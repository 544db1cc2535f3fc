"""Who may see what (bot.cases.access), role by role, against stored rows.

Admins and protection staff see every case; triage staff every case but confidential reports, and a
triage account given sites only the cases of those sites; organizers none. A number is revealed to
whoever must call back: desk staff for an ordinary case, protection staff for a confidential report
whose author said they may be called. Lists (`visible`) and single rows (`may_see`) always agree.
"""

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bot.cases.access import desk_staff, may_reveal_phone, may_see, sites_of, visible, works_at_desk
from bot.db import transaction
from bot.models import Feedback, Site, StaffUser
from bot.vocabulary import Role
from tests import domain_support as rows

# Each account: its role and the sites it is limited to.
ACCOUNTS = {
    "admin": ("admin", ()),
    "triage": ("triage", ()),
    "triage at Niamana": ("triage", ("niamana",)),
    "triage at Niamana and Sénou": ("triage", ("niamana", "senou")),
    "protection": ("protection", ()),
    "protection named for Niamana": ("protection", ("niamana",)),  # sites narrow triage accounts only
    "organizer": ("organizer", ()),
}

# Each case: (kind, site, whether the author of a confidential report may be called back).
CASES = {
    "complaint at Niamana": ("complaint", "niamana", None),
    "need at Sénou": ("need", "senou", None),
    "complaint at Gao": ("complaint", "gao", None),
    "complaint of no site": ("complaint", None, None),
    "confidential at Niamana, call this number": ("confidential", "niamana", "this_number"),
    "confidential at Gao, call another number": ("confidential", "gao", "other"),
    "confidential at Niamana, do not call": ("confidential", "niamana", "no"),
}
ORDINARY = {"complaint at Niamana", "need at Sénou", "complaint at Gao", "complaint of no site"}
CONFIDENTIAL = set(CASES) - ORDINARY

SEES = {
    "admin": set(CASES),
    "triage": ORDINARY,
    "triage at Niamana": {"complaint at Niamana"},
    "triage at Niamana and Sénou": {"complaint at Niamana", "need at Sénou"},
    "protection": set(CASES),
    "protection named for Niamana": set(CASES),
    "organizer": set(),
}

REVEALS = {
    "admin": ORDINARY,  # an admin reads a confidential report but does not make the call
    "triage": ORDINARY,
    "triage at Niamana": {"complaint at Niamana"},
    "triage at Niamana and Sénou": {"complaint at Niamana", "need at Sénou"},
    "protection": ORDINARY | {"confidential at Niamana, call this number", "confidential at Gao, call another number"},
    "protection named for Niamana": ORDINARY
    | {"confidential at Niamana, call this number", "confidential at Gao, call another number"},
    "organizer": set(),
}


@dataclass
class Desk:
    accounts: dict[str, int]
    cases: dict[str, int]

    def names(self, feedback_ids) -> set[str]:
        by_id = {feedback_id: name for name, feedback_id in self.cases.items()}
        return {by_id[feedback_id] for feedback_id in feedback_ids}


@pytest.fixture
def desk(runtime) -> Desk:
    with transaction(runtime.database) as db:
        accounts = {
            name: rows.staff(db, f"{number}@ong.ml", role, sites).id
            for number, (name, (role, sites)) in enumerate(ACCOUNTS.items())
        }
        person = rows.person(db, runtime.vault)
        cases = {
            name: rows.case(db, person, name, kind=kind, site_slug=site, vault=runtime.vault, callback=callback).id
            for name, (kind, site, callback) in CASES.items()
        }
    return Desk(accounts, cases)


@pytest.mark.parametrize("account", ACCOUNTS)
def test_each_account_sees_exactly_the_cases_its_role_and_sites_allow_in_lists_and_one_by_one(runtime, desk, account):
    with runtime.database() as db:
        user = db.get(StaffUser, desk.accounts[account])
        listed = desk.names(db.scalars(visible(select(Feedback.id), user)))
        opened = {name for name, feedback_id in desk.cases.items() if may_see(user, db.get(Feedback, feedback_id))}
    assert listed == SEES[account]
    assert opened == SEES[account]


@pytest.mark.parametrize("account", ACCOUNTS)
def test_a_number_is_revealed_only_to_whoever_must_call_back(runtime, desk, account):
    with runtime.database() as db:
        user = db.get(StaffUser, desk.accounts[account])
        revealed = {
            name for name, feedback_id in desk.cases.items() if may_reveal_phone(user, db.get(Feedback, feedback_id))
        }
        assert revealed == REVEALS[account]


def test_a_confidential_report_whose_author_refused_a_call_back_reveals_its_number_to_nobody(runtime, desk):
    with runtime.database() as db:
        report = db.get(Feedback, desk.cases["confidential at Niamana, do not call"])
        users = db.scalars(select(StaffUser)).all()
        assert len(users) == len(ACCOUNTS)
        assert not any(may_reveal_phone(user, report) for user in users)


def test_admins_triage_and_protection_work_at_the_desk_and_organizers_do_not():
    at_desk = {role: works_at_desk(StaffUser(email=f"{role}@ong.ml", role=role)) for role in Role}
    assert at_desk == {Role.ADMIN: True, Role.TRIAGE: True, Role.PROTECTION: True, Role.ORGANIZER: False}


@pytest.mark.parametrize(
    ("account", "slugs"),
    [
        ("admin", ["niamana", "sogoniko", "senou", "mopti", "gao"]),
        ("triage", ["niamana", "sogoniko", "senou", "mopti", "gao"]),
        ("triage at Niamana and Sénou", ["niamana", "senou"]),
        ("protection named for Niamana", ["niamana", "sogoniko", "senou", "mopti", "gao"]),
    ],
)
def test_an_account_works_for_every_site_in_menu_order_unless_triage_is_limited_to_some(
    runtime, desk, account, slugs
):
    with runtime.database() as db:
        user = db.get(StaffUser, desk.accounts[account])
        assert [site.slug for site in sites_of(db, user)] == slugs


def test_the_sites_to_choose_from_leave_out_a_closed_site_and_follow_the_organizers_order(runtime, desk):
    with transaction(runtime.database) as db:
        rows.site(db, "senou").active = False
        rows.site(db, "gao").position = -1
    with runtime.database() as db:
        admin = db.get(StaffUser, desk.accounts["admin"])
        limited = db.get(StaffUser, desk.accounts["triage at Niamana and Sénou"])
        assert [site.slug for site in sites_of(db, admin)] == ["gao", "niamana", "sogoniko", "senou", "mopti"]
        assert [site.slug for site in sites_of(db, admin, active_only=True)] == ["gao", "niamana", "sogoniko", "mopti"]
        assert [site.slug for site in sites_of(db, limited, active_only=True)] == ["niamana"]


def test_cases_are_assigned_only_to_active_desk_accounts_listed_by_email(runtime, desk):
    with transaction(runtime.database) as db:
        rows.staff(db, "0a-gone@ong.ml", "triage", active=False)
        rows.staff(db, "zz-organizer@ong.ml", "organizer")
    with runtime.database() as db:
        listed = [(user.email, user.role) for user in desk_staff(db)]
        roles = {email: role for email, role in db.execute(select(StaffUser.email, StaffUser.role))}
    expected = sorted(email for email, role in roles.items() if role != "organizer" and email != "0a-gone@ong.ml")
    assert [email for email, _ in listed] == expected
    assert {role for _, role in listed} == {"admin", "triage", "protection"}
    assert len(listed) == len(ACCOUNTS) - 1


def test_an_account_limited_to_sites_sees_nothing_of_a_site_removed_from_it(runtime, desk):
    with transaction(runtime.database) as db:
        user = db.get(StaffUser, desk.accounts["triage at Niamana and Sénou"])
        user.sites = [site for site in user.sites if site.slug != "senou"]
    with runtime.database() as db:
        user = db.get(StaffUser, desk.accounts["triage at Niamana and Sénou"])
        assert desk.names(db.scalars(visible(select(Feedback.id), user))) == {"complaint at Niamana"}
        assert not may_see(user, db.get(Feedback, desk.cases["need at Sénou"]))
        assert db.scalar(select(Site.slug).where(Site.id == user.sites[0].id)) == "niamana"
