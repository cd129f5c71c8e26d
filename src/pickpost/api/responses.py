"""JSON responses encoded with orjson."""

import orjson
from starlette.responses import Response


def json_response(
    data: object, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        content=orjson.dumps(data),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )
