"""The floor for bench/webhook.py: a bare FastAPI app that reads a form and echoes it back.

Same framework, same server and same request shape as the real webhook, with none of
baro's work (signature check, database, Redis, conversation engine) behind it.
"""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI(title="echo")


@app.post("/echo")
async def echo(request: Request) -> JSONResponse:
    form = await request.form()
    return JSONResponse({key: value for key, value in form.items()})
