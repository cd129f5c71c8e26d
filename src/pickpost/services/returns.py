"""Returns of sold leads (docs/returns.md): open one, or many from a CSV file; approve or
reject one; read them. Every opening and decision goes to the audit log."""

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Protocol

from pickpost.domain.audit import AuditEntry
from pickpost.domain.catalog import Catalog
from pickpost.domain.errors import Code, Refusal
from pickpost.domain.fields import FieldError
from pickpost.domain.people import Principal
from pickpost.domain.return_csv import (
    BulkReport,
    Columns,
    CsvMapping,
    ReturnRow,
    RowOutcome,
    RowResult,
    locate,
    read_row,
)
from pickpost.domain.returns import (
    KeyKind,
    LeadKey,
    LeadSales,
    Problem,
    ReturnDecision,
    ReturnOpening,
    ReturnRecord,
    ReturnsPage,
    ReturnsQuery,
    ReturnStatus,
    SaleOfLead,
    amounts,
    check_decision,
    check_opening,
    choose_sale,
    message_of,
    note_problem,
    refusal,
)
from pickpost.domain.workspace import ReturnsConfig
from pickpost.services.ports import SYSTEM_CLOCK, AuditLog, Clock, ReturnStore

MAX_ROWS = 10_000  # data rows of one bulk file


class CsvTable(Protocol):
    """An uploaded CSV file, read as rows of text cells as many times as asked."""

    def rows(self) -> Iterator[list[str]]:
        """The rows from the first; raises ValueError where the file is not CSV text."""
        ...


class ReturnsService:
    def __init__(
        self,
        store: ReturnStore,
        catalog: Callable[[], Catalog],
        audit: AuditLog,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._audit = audit
        self._clock = clock

    async def open(
        self,
        principal: Principal,
        lead_id: str,
        reason: str,
        note: str = "",
        buyer_id: str | None = None,
        remote_addr: str | None = None,
    ) -> ReturnRecord | Refusal:
        """Open a return of the lead's sale to ``buyer_id`` (a buyer principal's own, or the
        lead's only sale, when not given)."""
        if (problem := note_problem(note)) is not None:
            return _bad_note(problem)
        leads = await self._store.find_leads(LeadKey(KeyKind.LEAD_ID, lead_id))
        if not leads:
            return refusal(Problem.NO_LEAD, lead_id)
        sale = choose_sale(principal, leads[0], buyer_id)
        if isinstance(sale, Problem):
            return refusal(sale, lead_id)
        opened = await self._open(principal, leads[0], sale, reason, note, remote_addr)
        return refusal(opened) if isinstance(opened, Problem) else opened

    async def approve(
        self, principal: Principal, return_id: int, note: str = "", remote_addr: str | None = None
    ) -> ReturnRecord | Refusal:
        """Approve an open return: the buyer is credited its price and, when the campaign
        charges back, the supplier's payout is taken back."""
        return await self._decide(principal, return_id, ReturnStatus.APPROVED, note, remote_addr)

    async def reject(
        self, principal: Principal, return_id: int, note: str = "", remote_addr: str | None = None
    ) -> ReturnRecord | Refusal:
        return await self._decide(principal, return_id, ReturnStatus.REJECTED, note, remote_addr)

    async def get(self, principal: Principal, return_id: int) -> ReturnRecord | Refusal:
        found = await self._store.get(return_id)
        if found is None or not _sees(principal, found):
            return refusal(Problem.NO_RETURN, str(return_id))
        return found

    async def listing(self, principal: Principal, query: ReturnsQuery) -> ReturnsPage:
        """The returns matching ``query`` that ``principal`` may see, newest first."""
        return await self._store.listing(
            replace(
                query,
                buyer_id=principal.buyer_scope or query.buyer_id,
                supplier_id=principal.supplier_scope or query.supplier_id,
            )
        )

    async def bulk(
        self,
        principal: Principal,
        table: CsvTable,
        mapping: CsvMapping,
        remote_addr: str | None = None,
    ) -> BulkReport | Refusal:
        """Open a return for each row of ``table``: a row failing never stops the others.
        The whole file is refused, before any return is opened, when the mapping does not
        fit it, it is not CSV text, or it has more than ``MAX_ROWS`` rows."""
        if not (principal.operates or principal.buyer_scope is not None):
            return refusal(Problem.NOT_PERMITTED)
        columns = self._check(table, mapping)
        if isinstance(columns, Refusal):
            return columns
        results = []
        rows = table.rows()
        next(rows)  # the header
        for number, cells in enumerate(rows, start=2):
            if not any(c.strip() for c in cells):
                continue
            row = read_row(number, cells, columns, mapping)
            if isinstance(row, ReturnRow):
                row = await self._open_row(principal, row, mapping, remote_addr)
            results.append(row)
        return BulkReport(results)

    def _check(self, table: CsvTable, mapping: CsvMapping) -> Columns | Refusal:
        """The mapped columns, having read the whole file once to know it is readable."""
        errors = mapping.problems()
        if (problem := note_problem(mapping.note)) is not None:
            errors.append(FieldError("note", problem))
        if mapping.key_field and not self._searchable(mapping.key_field):
            errors.append(FieldError("key_field", "is not a personal field of any campaign"))
        if errors:
            return _invalid_mapping(errors)
        rows = table.rows()
        number = 0  # the rows read so far: a fault is in the next one
        try:
            header = next(rows, None)
            if header is None:
                return Refusal(Code.MALFORMED, "the file is empty")
            number = 1
            for number, _ in enumerate(rows, start=2):
                if number > MAX_ROWS + 1:
                    return Refusal(Code.TOO_LARGE, f"the file has more than {MAX_ROWS} rows")
        except ValueError:
            return Refusal(
                Code.MALFORMED, f"the file is not CSV text in UTF-8 (at row {number + 1})"
            )
        columns = locate(mapping, header)
        return _invalid_mapping(columns) if isinstance(columns, list) else columns

    def _searchable(self, field: str) -> bool:
        """Whether lookups index ``field`` in some campaign: only those match a value."""
        return any(
            spec.name == field
            for campaign in self._catalog().campaigns.values()
            for spec in campaign.personal.indexed
        )

    async def _open_row(
        self, principal: Principal, row: ReturnRow, mapping: CsvMapping, remote_addr: str | None
    ) -> RowResult:
        def failed(problem: Problem, lead_id: str | None = None) -> RowResult:
            outcome = RowOutcome.NOT_MATCHED if problem is Problem.NO_LEAD else RowOutcome.FAILED
            return RowResult(row.number, outcome, message_of(problem), problem.value, lead_id)

        key = LeadKey(mapping.key_kind, row.key, mapping.key_field)
        # A buyer matches only leads it was offered: others' are not there for it.
        leads = await self._store.find_leads(key, principal.buyer_scope or row.buyer_id)
        if not leads:
            return RowResult(row.number, RowOutcome.NOT_MATCHED, "no lead has this key", "no_lead")
        if len(leads) > 1:
            return failed(Problem.AMBIGUOUS)
        lead, buyer_id = leads[0], row.buyer_id
        if key.kind is KeyKind.BID_ID:
            buyer_id = next(s.buyer_id for s in lead.sales if s.bid_id == key.value)
        sale = choose_sale(principal, lead, buyer_id)
        if isinstance(sale, Problem):
            return failed(sale, None if sale is Problem.NO_LEAD else lead.lead_id)
        opened = await self._open(principal, lead, sale, row.reason, mapping.note, remote_addr)
        if isinstance(opened, Problem):
            return failed(opened, lead.lead_id)
        return RowResult(
            row.number,
            RowOutcome.MATCHED,
            "return opened",
            lead_id=lead.lead_id,
            return_id=opened.return_id,
        )

    async def _open(
        self,
        principal: Principal,
        lead: LeadSales,
        sale: SaleOfLead,
        reason: str,
        note: str,
        remote_addr: str | None,
    ) -> ReturnRecord | Problem:
        now = self._clock.now()
        checked = check_opening(sale, self._settings(lead.campaign_id), reason, now)
        if isinstance(checked, Problem):
            return checked
        opening = ReturnOpening(lead.lead_id, sale.buyer_id, checked, note, principal.name, now)
        opened = await self._store.open(opening)
        if opened is None:
            return Problem.ALREADY_RETURNED
        await self._audit.record(
            AuditEntry(
                actor=principal.name,
                action="return_open",
                target=_target(opened),
                at=now,
                after=opened.summary(),
                remote_addr=remote_addr,
            )
        )
        return opened

    async def _decide(
        self,
        principal: Principal,
        return_id: int,
        status: ReturnStatus,
        note: str,
        remote_addr: str | None,
    ) -> ReturnRecord | Refusal:
        if (problem := note_problem(note)) is not None:
            return _bad_note(problem)
        current = await self.get(principal, return_id)
        if isinstance(current, Refusal):
            return current
        problem = check_decision(principal, current.status)
        if problem is not None:
            return refusal(problem)
        credit = chargeback = 0
        if status is ReturnStatus.APPROVED:
            sale = await self._sale_of(current)
            credit, chargeback = amounts(sale, self._settings(current.campaign_id))
        now = self._clock.now()
        decision = ReturnDecision(return_id, status, principal.name, now, note, credit, chargeback)
        decided = await self._store.decide(decision)
        if decided is None:
            return refusal(Problem.ALREADY_DECIDED)
        await self._audit.record(
            AuditEntry(
                actor=principal.name,
                action=f"return_{'approve' if status is ReturnStatus.APPROVED else 'reject'}",
                target=_target(decided),
                at=now,
                before=current.summary(),
                after=decided.summary(),
                remote_addr=remote_addr,
            )
        )
        return decided

    async def _sale_of(self, record: ReturnRecord) -> SaleOfLead:
        """The sale a return is of (sales are never deleted, so it is there)."""
        leads = await self._store.find_leads(LeadKey(KeyKind.LEAD_ID, record.lead_id))
        return next(s for s in leads[0].sales if s.buyer_id == record.buyer_id)

    def _settings(self, campaign_id: str) -> ReturnsConfig | None:
        campaign = self._catalog().campaigns.get(campaign_id)
        return None if campaign is None else campaign.config.returns


def _sees(principal: Principal, record: ReturnRecord) -> bool:
    return principal.sees_lead(record.supplier_id, frozenset({record.buyer_id}))


def _target(record: ReturnRecord) -> str:
    return f"return {record.return_id} (lead {record.lead_id}, buyer {record.buyer_id})"


def _bad_note(problem: str) -> Refusal:
    return Refusal(Code.VALIDATION, f"the note {problem}", (FieldError("note", problem),))


def _invalid_mapping(errors: list[FieldError]) -> Refusal:
    names = ", ".join(e.field for e in errors)
    return Refusal(Code.VALIDATION, f"the column mapping does not fit: {names}", tuple(errors))
