"""``/console/people`` (owners: users, roles, tokens) and ``/console/account`` (one's own time
zone, password and tokens). Every change is audited by the people use cases."""

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response

from pickpost.api.auth import Need, client_address
from pickpost.api.console.page import (
    PREFIX,
    console_page,
    field,
    posted_form,
    secret_field,
    see_other,
    signed_in,
)
from pickpost.api.state import runtime_of
from pickpost.domain.people import PeopleError, Principal, Role

router = APIRouter(prefix=PREFIX, include_in_schema=False)

PEOPLE = f"{PREFIX}/people"
ACCOUNT = f"{PREFIX}/account"
# What a finished change says when the page is shown again (fixed texts: nothing from the URL
# is echoed).
DONE = {
    "added": "User added.",
    "changed": "Changes saved.",
    "disabled": "User disabled: their sessions and tokens no longer work.",
    "signed-out": "Signed out everywhere: every session of theirs has ended.",
    "revoked": "Token revoked.",
    "password": "Password changed.",
}


async def _people_page(
    request: Request, error: str = "", new_token: str = "", status_code: int = 200
) -> Response:
    people = runtime_of(request).people
    users = await people.users()
    tokens = {u.name: await people.tokens(u.name) for u in users}
    return console_page(
        request, "people.html", status_code, users=users, tokens=tokens, roles=list(Role),
        error=error, new_token=new_token, done=DONE.get(request.query_params.get("done", ""), ""),
    )  # fmt: skip


@router.get("/people")
async def people_page(request: Request) -> Response:
    principal = await signed_in(request, Need.MANAGE_PEOPLE)
    if isinstance(principal, Response):
        return principal
    return await _people_page(request)


def _role(text: str) -> Role | None:
    try:
        return Role(text) if text else None
    except ValueError:
        raise PeopleError(f"no role {text!r}") from None


@router.post("/people/{action}")
async def people_action(action: str, request: Request) -> Response:
    checked = await posted_form(request, Need.MANAGE_PEOPLE)
    if isinstance(checked, Response):
        return checked
    principal, form = checked
    people, addr = runtime_of(request).people, client_address(request)
    name, actor = field(form, "name"), principal.name
    try:
        if action == "add":
            password = secret_field(form, "password")
            if password != secret_field(form, "confirm"):
                raise PeopleError("the two passwords differ")
            role = _role(field(form, "role")) or Role.ANALYST
            await people.add(actor, name, password, role, field(form, "scope") or None,
                             field(form, "time_zone") or "UTC", addr)  # fmt: skip
        elif action == "change":
            await people.change(
                actor, name, role=_role(field(form, "role")), scope_id=field(form, "scope"),
                time_zone=field(form, "time_zone") or None, remote_addr=addr,
            )  # fmt: skip
        elif action == "disable":
            await people.disable(actor, name, addr)
        elif action == "sign-out":
            await people.sign_out_everywhere(actor, name, addr)
        elif action == "token":
            _, token = await people.create_token(actor, name, field(form, "label"), addr)
            return await _people_page(request, new_token=token)
        elif action == "revoke":
            await people.revoke_token(actor, field(form, "token_id"), remote_addr=addr)
        else:
            return await _people_page(request, f"no such action: {action}", status_code=404)
    except PeopleError as error:
        return await _people_page(request, str(error), status_code=400)
    done = {"add": "added", "change": "changed", "disable": "disabled",
            "sign-out": "signed-out", "revoke": "revoked"}[action]  # fmt: skip
    return see_other(f"{PEOPLE}?done={done}")


async def _account_page(
    request: Request, principal: Principal, error: str = "", new_token: str = "",
    status_code: int = 200,
) -> Response:  # fmt: skip
    people = runtime_of(request).people
    context: dict[str, Any] = {"tokens": [], "error": error, "new_token": new_token}
    if principal.user_id is not None:
        context["tokens"] = await people.tokens(principal.name)
    done = DONE.get(request.query_params.get("done", ""), "")
    return console_page(request, "account.html", status_code, done=done, **context)


@router.get("/account")
async def account_page(request: Request) -> Response:
    principal = await signed_in(request)
    if isinstance(principal, Response):
        return principal
    return await _account_page(request, principal)


@router.post("/account/{action}")
async def account_action(action: str, request: Request) -> Response:
    checked = await posted_form(request)
    if isinstance(checked, Response):
        return checked
    principal, form = checked
    people, addr = runtime_of(request).people, client_address(request)
    me = principal.name
    steps: dict[str, Callable[[], Awaitable[object]]] = {
        "time-zone": lambda: people.change(
            me, me, time_zone=field(form, "time_zone"), remote_addr=addr
        ),
        "password": lambda: _change_password(request, principal, form),
        "revoke": lambda: people.revoke_token(me, field(form, "token_id"), principal, addr),
    }
    try:
        if action == "token":
            _, token = await people.create_token(me, me, field(form, "label"), addr)
            return await _account_page(request, principal, new_token=token)
        if action not in steps:
            return await _account_page(request, principal, "no such action", status_code=404)
        await steps[action]()
    except PeopleError as error:
        return await _account_page(request, principal, str(error), status_code=400)
    done = {"time-zone": "changed", "password": "password", "revoke": "revoked"}[action]
    return see_other(f"{ACCOUNT}?done={done}")


async def _change_password(request: Request, principal: Principal, form: Any) -> None:
    new = secret_field(form, "new_password")
    if new != secret_field(form, "confirm"):
        raise PeopleError("the two new passwords differ")
    await runtime_of(request).people.change_own_password(
        principal, secret_field(form, "current_password"), new, client_address(request)
    )
