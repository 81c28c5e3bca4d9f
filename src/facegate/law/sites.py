"""Where faces live (M8): which process may handle a deployment's faces, when a photo may
travel over a network, and whether an edge node is still in step with its control plane.

A deployment's ``processing`` setting (``TransferMode``) is ``on_device`` (each device's edge
node keeps its faces; the control plane never sees one) or ``networked`` (devices send photos
to the central service, which needs each person's separate consent to that transmission).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from facegate.law.consent import valid_transmission_consent
from facegate.law.decision import Decision, Reason
from facegate.law.facts import ConsentFacts, DeploymentFacts, SiteRole, TransferMode

DEFAULT_OFFLINE_LIMIT = timedelta(hours=24)
"""An edge node that has not synced for longer than this stops recognising faces."""


@dataclass(frozen=True)
class Channel:
    """How a photo reached this process: over TLS, and whether both ends are this machine."""

    encrypted: bool
    loopback: bool


def check_face_site(deployment: DeploymentFacts, role: SiteRole) -> Decision:
    """May this process handle the deployment's faces at all? The control plane holds no face
    of an ``on_device`` deployment: those are enrolled and recognised at the edge nodes."""
    if role == SiteRole.CONTROL and deployment.transfer_mode == TransferMode.ON_DEVICE:
        return Decision.refuse(
            Reason.of(
                "storage.on_device",
                f"deployment {deployment.id} keeps faces on its devices (processing on_device): "
                "enrol and recognise at the device's edge node; the control plane never holds "
                "a photo or a template of it",
            )
        )
    return Decision.allow()


def transmits_photos(deployment: DeploymentFacts, role: SiteRole) -> bool:
    """Does a face operation here mean a photo was sent over a network from the device?"""
    return deployment.transfer_mode == TransferMode.NETWORKED and role != SiteRole.EDGE


def check_transmission(
    deployment: DeploymentFacts,
    consents: Iterable[ConsentFacts],
    subject_id: str,
    at: datetime,
    role: SiteRole,
) -> Decision:
    """A ``networked`` deployment's service receives a person's photo only with their standing
    separate consent to the transmission, or a law that requires it (recorded on the
    deployment)."""
    if not transmits_photos(deployment, role) or deployment.transfer_legal_basis.strip():
        return Decision.allow()
    if valid_transmission_consent(consents, subject_id, deployment.id, at) is not None:
        return Decision.allow("storage.networked_consent")
    return Decision.refuse(
        Reason.of(
            "storage.networked_consent",
            f"deployment {deployment.id} sends photos from its devices over a network; this "
            "person has not separately consented to that transmission; record their "
            "transmission consent or use the alternative",
        )
    )


def check_channel(deployment: DeploymentFacts, role: SiteRole, channel: Channel | None) -> Decision:
    """A photo of a ``networked`` deployment travels only over TLS, unless both ends are on
    the same machine (loopback). ``None``: the photo did not come over a network."""
    if (
        channel is None
        or not transmits_photos(deployment, role)
        or channel.encrypted
        or channel.loopback
    ):
        return Decision.allow()
    return Decision.refuse(
        Reason.of(
            "security.measures",
            "photos of a networked deployment are sent only over an encrypted connection "
            "(HTTPS): serve with --tls-cert and --tls-key",
        )
    )


def check_edge_in_sync(
    last_synced_at: datetime | None, at: datetime, limit: timedelta = DEFAULT_OFFLINE_LIMIT
) -> Decision:
    """An edge node recognises faces only while it has heard from its control plane within
    ``limit``: otherwise a withdrawal or deletion made elsewhere may not have reached it
    (withdrawal must stop processing and delete at once). The alternative is not affected."""
    if last_synced_at is not None and at - last_synced_at <= limit:
        return Decision.allow()
    hours = limit.total_seconds() / 3600
    since = (
        "has never synchronised with its control plane"
        if last_synced_at is None
        else f"last synchronised with its control plane at {last_synced_at.isoformat()}"
    )
    return Decision.refuse(
        Reason.of(
            "consent.withdraw",
            f"this device {since}, more than {hours:g} h ago: a withdrawal or deletion made "
            "elsewhere may not have reached it, so face recognition is paused until it syncs; "
            "use the alternative",
        )
    )
