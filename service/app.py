"""The HTTP API: FastAPI routes over the engine, with errors that say what to fix."""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Annotated

from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from dossier import __version__
from dossier.service.engine import Engine, EngineError
from dossier.service.limits import QuestionLimiter, RateLimiter, RequestGuard, SecurityHeaders
from dossier.service.openai_api import openai_error
from dossier.service.openai_api import router as openai_router
from dossier.service.schemas import (
    AskRequest,
    ErrorBody,
    Examples,
    PassageContext,
    SearchRequest,
    SearchResponse,
    SourceInfo,
    SpanContext,
)
from dossier.settings import Settings
from dossier.types import Answer, Document

log = logging.getLogger(__name__)

STATIC_DIR = files("dossier.service") / "static"
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/", "/favicon.ico"})
# Any request may meet the limits of dossier.service.limits (see RELIABILITY.md).
LIMIT_ERRORS: dict[int | str, dict] = {
    413: {"model": ErrorBody, "description": "The body is over DOSSIER_MAX_BODY_BYTES."},
    429: {"model": ErrorBody, "description": "Rate limited (DOSSIER_RATE_LIMIT_PER_MINUTE)."},
}
ERRORS = {
    400: {"model": ErrorBody},
    404: {"model": ErrorBody},
    422: {"model": ErrorBody},
    503: {"model": ErrorBody},
}


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    settings = settings or Settings()
    engine = engine or Engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Load in the background so health checks answer while the model loads.
        threading.Thread(target=engine.load, name="dossier-load", daemon=True).start()
        yield

    app = FastAPI(
        responses=LIMIT_ERRORS,
        title="Dossier",
        version=__version__,
        description="Answers questions from an article and its sources, citing the exact passages.",
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.settings = settings
    _install_error_handlers(app)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], responses={503: {"model": ErrorBody}})
    def readyz() -> JSONResponse:
        """An index is loaded and queries can be answered."""
        if engine.ready:
            return JSONResponse({"status": "ready", "index_id": engine.index_id})
        reason = engine.load_error or "loading the model and the index"
        return JSONResponse({"status": "not ready", "detail": reason}, status_code=503)

    # The two question endpoints serialise their own response (pydantic's JSON, in the same
    # worker thread): FastAPI would otherwise validate the returned model again, in a second
    # trip through the threadpool. The documented schema is the same (`response_model`).
    @app.post("/ask", tags=["questions"], responses=ERRORS, response_model=Answer)
    def ask(body: AskRequest) -> Response:
        """Answer a question from the sources, citing the passages it relied on."""
        answer = engine.ask(body.question, k=body.k, mode=body.mode, sources=body.sources)
        return _json(answer)

    @app.post("/search", tags=["questions"], responses=ERRORS, response_model=SearchResponse)
    def search(body: SearchRequest) -> Response:
        """Ranked passages for a query, with scores and offsets."""
        found = engine.search(body.query, k=body.k, mode=body.mode, sources=body.sources)
        return _json(found)

    @app.get("/sources", tags=["sources"], responses=ERRORS)
    def sources() -> list[SourceInfo]:
        """Every source in the corpus with its fetch status and passage count."""
        return engine.sources()

    @app.get("/sources/{source_id}", tags=["sources"], responses=ERRORS)
    def source(source_id: str) -> SourceInfo:
        return engine.source(source_id)

    @app.get("/sources/{source_id}/text", tags=["sources"], responses=ERRORS)
    def source_text(source_id: str) -> Document:
        """The source's extracted text and metadata; citation offsets index into `text`."""
        return engine.document(source_id)

    @app.get("/sources/{source_id}/span", tags=["sources"], responses=ERRORS)
    def source_span(
        source_id: str,
        start: Annotated[int, Query(ge=0, description="First character, as in a citation.")],
        end: Annotated[int, Query(ge=1, description="One past the last character.")],
    ) -> SpanContext:
        """A span of a source in context, with its section heading and PDF page.

        The chat page's citation view and its `#cite=<source_id>:<start>-<end>` links use it.
        """
        return engine.span(source_id, start, end)

    @app.get("/examples", tags=["sources"], responses=ERRORS)
    def examples() -> Examples:
        """Example questions for an empty page: DOSSIER_EXAMPLE_QUESTIONS, else from headings."""
        return engine.examples()

    @app.get("/passages/{passage_id}", tags=["sources"], responses=ERRORS)
    def passage(
        passage_id: Annotated[
            str, Path(description="As returned by /search, e.g. `my-source:0003`.")
        ],
        before: Annotated[int, Query(ge=0, le=10)] = 1,
        after: Annotated[int, Query(ge=0, le=10)] = 1,
    ) -> PassageContext:
        """A passage with its neighbours, to read a citation in context."""
        return engine.passage(passage_id, before=before, after=after)

    app.include_router(openai_router)

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(str(STATIC_DIR / "index.html"))

    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    # Innermost: only authorised questions take a slot.
    app.add_middleware(
        QuestionLimiter, limit=settings.max_questions_in_flight, wait=settings.question_wait
    )
    if settings.api_key is not None:
        app.add_middleware(BearerAuth, key=settings.api_key.get_secret_value())
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
        )
    # Outermost (added last): limits apply before authentication and routing.
    if settings.rate_limit_per_minute > 0:
        app.add_middleware(
            RateLimiter, per_minute=settings.rate_limit_per_minute, burst=settings.rate_limit_burst
        )
    app.add_middleware(
        RequestGuard, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout
    )
    app.add_middleware(SecurityHeaders)
    return app


def _json(model: BaseModel) -> Response:
    return Response(content=model.model_dump_json(), media_type="application/json")


class BearerAuth:
    """Requires `Authorization: Bearer <key>` (as OpenAI clients send it) outside health checks.

    The chat page and its static files hold no data, so they load without a
    key; the page then sends the key the user enters.
    """

    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app = app
        self.key = key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in OPEN_PATHS or path.startswith("/static/"):
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, token = header.partition(b" ")
        if scheme.lower() == b"bearer" and hmac.compare_digest(token.strip(), self.key):
            await self.app(scope, receive, send)
            return
        detail = (
            "missing API key: send the header 'Authorization: Bearer <key>'"
            if not header
            else "invalid API key: the bearer token does not match DOSSIER_API_KEY"
        )
        response = JSONResponse(
            {
                "detail": detail,
                "error": {
                    "message": detail,
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                },
            },
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
        await response(scope, receive, send)


def _describe(error: dict) -> str:
    location = [str(part) for part in error.get("loc", ()) if part != "body"]
    field = ".".join(location)
    kind = error.get("type", "")
    if kind == "json_invalid":
        reason = error.get("ctx", {}).get("error", "parse error")
        return f"the request body is not valid JSON ({reason}); send a JSON object"
    if kind == "missing" and not field:
        return 'the request body is missing; send a JSON object such as {"question": "..."}'
    if kind == "missing":
        return f"{field}: required"
    if kind == "extra_forbidden":
        return f"{field}: unknown field; check its spelling against the API docs at /docs"
    message = error.get("msg", "invalid").removeprefix("Value error, ")
    return f"{field}: {message}" if field else message


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
            for e in exc.errors()
        ]
        detail = "; ".join(dict.fromkeys(_describe(e) for e in exc.errors()))
        status = 400 if any(e.get("type") == "json_invalid" for e in exc.errors()) else 422
        if request.url.path.startswith("/v1/"):
            return openai_error(detail, status)
        return JSONResponse({"detail": detail, "errors": errors}, status_code=status)

    @app.exception_handler(EngineError)
    async def engine_error(request: Request, exc: EngineError) -> JSONResponse:
        if request.url.path.startswith("/v1/"):
            return openai_error(str(exc), exc.status)
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no route {request.url.path}; see /docs for the API"
        elif exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}; see /docs"
        elif exc.status_code == 400 and detail == "There was an error parsing the body":
            detail = "the request body is not valid JSON (or not UTF-8); send a JSON object"
        if request.url.path.startswith("/v1/"):
            response = openai_error(str(detail), exc.status_code)
            response.headers.update(exc.headers or {})
            return response
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            {"detail": f"internal error ({type(exc).__name__}); the server log has the details"},
            status_code=500,
        )
