"""What the entry points need, assembled by the composition root (``bootstrap``)."""

from dataclasses import dataclass

from pickpost.domain.catalog import Catalog
from pickpost.domain.revocation import LinkSigner
from pickpost.services.catalog_refresh import CatalogHolder
from pickpost.services.direct import DirectPostService
from pickpost.services.health import HealthService
from pickpost.services.people import People, SessionPolicy
from pickpost.services.pick import PickService
from pickpost.services.ping import PingService
from pickpost.services.ports import (
    AdminViews,
    AuditLog,
    ConsentEvidence,
    FlushableRecorder,
    LeadList,
    TrafficCounts,
    WorkspaceControl,
)
from pickpost.services.post import PostService
from pickpost.services.reports import ReportService
from pickpost.services.returns import ReturnsService
from pickpost.services.revocations import Withdrawals


@dataclass(frozen=True, slots=True)
class Runtime:
    catalogs: CatalogHolder
    pings: PingService
    picks: PickService  # the pick widget and page
    posts: PostService
    direct_posts: DirectPostService
    views: AdminViews
    control: WorkspaceControl
    recorder: FlushableRecorder
    audit: AuditLog
    returns: ReturnsService
    traffic: TrafficCounts  # pings, buyers' answers and refusals, counted as they happen
    reports: ReportService
    lead_list: LeadList
    admin_token: str | None
    people: People
    sessions: SessionPolicy
    health: HealthService  # buyers' recent calls and the caps' counters
    consent: ConsentEvidence
    links: LinkSigner  # signs and checks the receipt's and buyers' certificate links
    revocations: Withdrawals
    public_url: str | None = None  # the start of the links handed out, when not the request's

    @property
    def catalog(self) -> Catalog:
        """The campaigns as last read from the database."""
        return self.catalogs.current
