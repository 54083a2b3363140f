"""The Outcomes screen's decisions: appoint, reserve, extend, status and tie order.

A mixin of OutcomesScreen (it uses the screen's merit list, highlighted row and
run_service). Each decision carries the outcome version on screen, so a
decision taken on stale data is refused with who changed it, never lost.

A decision's row is redrawn at once from what the screen knows
(``db.outcomes.with_outcome``: outcomes move no rank) while it is saved; a refusal
puts the row back and says why. The merit list is re-read after the save and
reconciles anything else (another terminal's changes).
"""

from __future__ import annotations

import textwrap
from functools import partial

from db import outcomes as service
from db.outcomes import MeritRow
from db.reserve import reserve_refusal, reserve_warning
from db.text import clean_line
from panel_tui.dialogs import ConfirmDialog, ExtendReserveDialog, ReasonDialog
from panel_tui.screens.first_paint import after_paint, hold_collector
from panel_tui.widgets.merit_table import rank_text


def fit(question: str, width: int = 62) -> str:
    """Wrap a dialog question to the dialog's width (a dialog title label does not wrap by itself)."""
    return textwrap.fill(question, width)


class OutcomeDecisions:
    """Decisions on the highlighted candidate of the merit list."""

    versions: dict[int, int]

    def _tie_order(self, group: int) -> list[int]:
        return [r.candidate_id for r in self.display_rows if r.tie_group == group]

    # --- decisions ---------------------------------------------------------------------

    def _versioned(self, fn, candidate_id: int):
        """``fn`` bound to the outcome version on screen: a decision on stale data is refused, not lost."""
        return partial(fn, expected_version=self.versions.get(candidate_id, 0))

    def _run(self, what: str, fn, *args, done=None, shown=None, saved=None) -> None:
        """Call a service function in its own unit of work; a refusal is one line; the list reloads either way.

        ``shown``: (candidate id, outcome fields) drawn at once, before the save, and put back if it is
        refused; ``saved(result)``: the same, known only from what the save returns (a new expiry)."""
        undo = self._decided(*shown) if shown is not None else None
        self.writes += 1

        def finished(result: object) -> None:
            self.writes -= 1
            if saved is not None:
                self._decided(*saved(result))
            self.reload()
            if done is not None:
                done(result)

        def refused(message: str) -> None:
            self.writes -= 1
            if undo is not None:
                undo()
            self.notify(message, title=f"Not {what}", severity="warning", markup=False)
            self.reload()

        self.run_service(fn, *args, tag=what, done=finished, failed=refused)

    def _decided(self, candidate_id: int, changes: dict, version: int | None = None):
        """Draw one decision's row now (outcomes move no rank); the re-read after the save reconciles
        the rest. Returns what puts the row back as it was (None if there was nothing to change)."""
        self.decisions += 1  # a merit list read begun before this is older than the screen
        if self.merit is None:
            return None
        before = next((r for r in self.merit.rows if r.candidate_id == candidate_id), None)
        if before is None:
            return None
        painted = hold_collector(self)  # no cyclic collection until the row is on screen (first_paint)
        old_version = self.versions.get(candidate_id, 0)
        if version is not None:
            self.versions[candidate_id] = version
        elif any(getattr(before, k) != v for k, v in changes.items()):
            # The save claims the version the screen sent (db.versions): the next one is one more.
            self.versions[candidate_id] = old_version + 1
        self.merit = service.with_outcome(self.merit, candidate_id, **changes)
        self._show_merit()
        self.refresh_bindings()
        after_paint(self, painted)
        old = {k: getattr(before, k) for k in changes}
        return lambda: self._decided(candidate_id, old, old_version)

    @staticmethod
    def _refusal(action: str, row: MeritRow) -> str | None:
        """Why appoint / reserve / extend cannot be taken on this row (rules.reserve_refusal), or None."""
        what = {"appoint": "appoint", "reserve": "reserve", "extend_reserve": "extend", "extend": "extend"}.get(action)
        if what is None:
            return None
        final = row.rank is not None and not row.provisional
        return reserve_refusal(what, str(row.status), row.expired, row.reserve_extended, final)

    def _refused(self, action: str, row: MeritRow) -> bool:
        """Say why the action cannot be taken (a key never does nothing silently); True if refused."""
        why = self._refusal(action, row)
        if why:
            self.notify(f"{clean_line(row.ref)}: {why}", title="Not possible", severity="warning", markup=False)
        return why is not None

    def action_appoint(self) -> None:
        row = self._highlighted_row()
        if row is None or self.merit is None or self._refused("appoint", row):
            return
        unavailable = ("appointed", "declined")
        higher = [
            r.ref for r in self.merit.ranked
            if r.rank is not None and row.rank is not None and r.rank < row.rank
            and r.status not in unavailable and not r.expired
        ]
        cid, ref, who = row.candidate_id, clean_line(row.ref), clean_line(row.label)
        if higher:
            question = (f"Appoint {who} out of merit order? {', '.join(clean_line(h) for h in higher)} "
                        f"{'is' if len(higher) == 1 else 'are'} ranked higher. Give the reason:")

            def with_reason(reason: str | None) -> None:
                if reason:
                    self._run("appointed", self._versioned(service.appoint, cid), cid, self.actor, reason,
                              done=lambda _: self.notify(f"{ref} appointed out of merit order: {reason}", markup=False),
                              shown=(cid, {"status": "appointed", "offer_reason": reason.strip()}))

            self.app.push_screen(ReasonDialog(fit(question)), with_reason)
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._run("appointed", self._versioned(service.appoint, cid), cid, self.actor,
                          done=lambda _: self.notify(f"{ref} appointed", markup=False),
                          shown=(cid, {"status": "appointed", "offer_reason": ""}))

        self.app.push_screen(ConfirmDialog(fit(f"Appoint {who} (rank {rank_text(row)})?")), confirmed)

    def action_reserve(self) -> None:
        row = self._highlighted_row()
        if row is None or self._refused("reserve", row):
            return
        cid, ref = row.candidate_id, clean_line(row.ref)

        def add(allow_expired: bool) -> None:
            def added(expiry) -> None:
                expired = " (already expired: extend it with x)" if allow_expired else ""
                self.notify(f"{ref} is on the reserve list until {expiry.isoformat()}{expired}", markup=False)

            self._run("put on the reserve list", self._versioned(service.add_to_reserve, cid), cid, self.actor, allow_expired,
                      done=added, saved=lambda expiry: (cid, {"status": "reserve", "reserve_expiry": expiry,
                                                              "reserve_extended": False, "reserve_reason": ""}))

        def checked(warning: str | None) -> None:
            if warning is None:
                add(False)
                return
            self.app.push_screen(ConfirmDialog(fit(warning + "?")), lambda ok: ok and add(True))

        self.run_service(reserve_warning, cid, tag="reserve_warning", done=checked, title="Not put on the reserve list")

    def action_extend_reserve(self) -> None:
        row = self._highlighted_row()
        if row is None or self._refused("extend", row) or row.reserve_expiry is None:
            return
        cid, ref = row.candidate_id, clean_line(row.ref)

        def chosen(answer: tuple[int, str] | None) -> None:
            if answer is None:
                return
            months, reason = answer
            self._run("extended", self._versioned(service.extend_reserve, cid), cid, months, reason, self.actor,
                      done=lambda expiry: self.notify(f"{ref}'s reserve place extended to {expiry.isoformat()}", markup=False),
                      saved=lambda expiry: (cid, {"reserve_expiry": expiry, "reserve_extended": True,
                                                  "reserve_reason": reason.strip()}))

        question = f"Extend {clean_line(row.label)}'s reserve place (now to {row.reserve_expiry.isoformat()})"
        self.app.push_screen(ExtendReserveDialog(fit(question)), chosen)

    def _set_status(self, status: str, words: str) -> None:
        row = self._highlighted_row()
        if row is not None:
            ref, cid = clean_line(row.ref), row.candidate_id
            self._run(f"marked {words}", self._versioned(service.set_status, cid), cid, status, self.actor,
                      done=lambda _: self.notify(f"{ref}: {words}", markup=False), shown=(cid, {"status": status}))

    def action_not_appointed(self) -> None:
        self._set_status("not_appointed", "not appointed")

    def action_declined(self) -> None:
        self._set_status("declined", "declined")

    def action_pending(self) -> None:
        self._set_status("pending", "pending")

    def action_tie_up(self) -> None:
        row = self._highlighted_row()
        if row is None or row.tie_group is None:
            return
        order = self._tie_order(row.tie_group)
        n = order.index(row.candidate_id)
        if n == 0:
            return
        order[n - 1], order[n] = order[n], order[n - 1]
        self.pending_ties[row.tie_group] = order
        self._show_merit()
        self.refresh_bindings()

    def action_order_tie(self) -> None:
        row = self._highlighted_row()
        if row is None or row.tie_group is None:
            return
        group = row.tie_group
        order = self._tie_order(group)
        refs = {r.candidate_id: clean_line(r.ref) for r in self.display_rows}

        def recorded(_: object) -> None:
            self.pending_ties.pop(group, None)
            self.notify("Tie order recorded: " + ", ".join(refs[c] for c in order), markup=False)

        def with_reason(reason: str | None) -> None:
            if reason:
                self._run("ordered", partial(service.order_tie, expected_versions={c: self.versions.get(c, 0) for c in order}),
                          self.campaign_id, order, reason, self.actor, done=recorded)

        order_text = ", ".join(refs[c] for c in order)
        self.app.push_screen(ReasonDialog(fit(f"Record the tie order {order_text} (best first)? Give the reason:")), with_reason)

    # --- tabs ----------------------------------------------------------------------------
