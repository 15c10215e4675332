"""Drives a live verifyd through the generated grpcio client, the way
test/interop/python.test.ts runs it: Start, Watch in the background, a wrong
and then the right Check (the code read from the simulators' outbox, GET
/sim/outbox on the same port), a fast failover, INVALID_ARGUMENT for a number
that is none and NOT_FOUND for an unknown id. It prints one JSON object per
step on stdout and leaves the judging to the test; it exits 1 when a step
cannot be carried out at all.

    python examples/interop.py --addr 127.0.0.1:8080 --number +12025550100 --failover-number +12025550110
"""

import argparse
import json
import re
import sys
import threading
import time
import urllib.parse
import urllib.request

import grpc

from verify.v1 import verify_pb2, verify_pb2_grpc

TIMEOUT = 30


def emit(**line) -> None:
    print(json.dumps(line), flush=True)


def attempts(verification) -> list:
    return [
        {
            "number": a.number,
            "provider": a.provider,
            "status": verify_pb2.AttemptStatus.Name(a.status),
            "error": a.error,
        }
        for a in verification.attempts
    ]


def status_name(verification) -> str:
    return verify_pb2.VerificationStatus.Name(verification.status)


def code_from_outbox(base: str, number: str) -> tuple[str, str]:
    """Polls GET /sim/outbox?to=<number> until a message is there; the code in it and who sent it."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{base}/sim/outbox?to={urllib.parse.quote(number)}", timeout=TIMEOUT) as response:
            messages = json.load(response)["messages"]
        if messages:
            match = re.search(r"\d{4,10}", messages[0]["body"])
            if not match:
                raise RuntimeError(f"no code in {messages[0]['body']!r}")
            return match.group(0), messages[0]["provider"]
        time.sleep(0.05)
    raise RuntimeError(f"no message to {number} in the outbox")


def wrong_code(code: str) -> str:
    """Another code of the same length: the last digit moved on by one."""
    return code[:-1] + str((int(code[-1]) + 1) % 10)


class Watcher:
    """A Watch stream read on a thread: waits for the first message (the snapshot), then collects the rest."""

    def __init__(self, client, verification_id: str) -> None:
        self.events: list = []
        self.end = None
        self.first = threading.Event()
        self.call = client.Watch(verify_pb2.WatchRequest(verification_id=verification_id), timeout=TIMEOUT)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        if not self.first.wait(TIMEOUT) or not self.events:
            raise RuntimeError(f"Watch: no first message ({self.end})")

    def _read(self) -> None:
        try:
            for message in self.call:
                event = message.event
                self.events.append(
                    {
                        "sequence": event.sequence,
                        "type": verify_pb2.EventType.Name(event.type),
                        "status": status_name(event.verification),
                    }
                )
                self.first.set()
            self.end = "OK"
        except grpc.RpcError as error:
            self.end = error.code().name
        finally:
            self.first.set()

    def summary(self) -> dict:
        self.thread.join(TIMEOUT)
        if self.thread.is_alive():
            raise RuntimeError("the Watch stream did not end after the verification was verified")
        return {"step": "watch", "events": self.events, "end": self.end}


def error_step(rpc: str, call) -> dict:
    try:
        call()
    except grpc.RpcError as error:
        return {"step": "error", "rpc": rpc, "code": error.code().name, "message": error.details()}
    return {"step": "error", "rpc": rpc, "code": "OK"}


def run(address: str, number: str, failover_number: str) -> None:
    with grpc.insecure_channel(address) as channel:
        client = verify_pb2_grpc.VerificationServiceStub(channel)

        verification = client.Start(verify_pb2.StartRequest(phone_number=number), timeout=TIMEOUT).verification
        emit(step="start", id=verification.id, status=status_name(verification), attempts=attempts(verification))

        watcher = Watcher(client, verification.id)

        code, provider = code_from_outbox(f"http://{address}", number)
        emit(step="outbox", provider=provider, code_length=len(code))

        for name, typed in (("wrong", wrong_code(code)), ("right", code)):
            checked = client.Check(verify_pb2.CheckRequest(verification_id=verification.id, code=typed), timeout=TIMEOUT)
            emit(
                step="check",
                code=name,
                approved=checked.approved,
                status=status_name(checked.verification),
                remaining=checked.verification.check_attempts_remaining,
            )

        print(json.dumps(watcher.summary()), flush=True)

        failover = client.Start(verify_pb2.StartRequest(phone_number=failover_number), timeout=TIMEOUT).verification
        emit(step="failover", id=failover.id, status=status_name(failover), attempts=attempts(failover))

        bad_number = verify_pb2.StartRequest(phone_number="call me maybe")
        print(json.dumps(error_step("Start", lambda: client.Start(bad_number, timeout=TIMEOUT))), flush=True)
        unknown = verify_pb2.GetRequest(verification_id="ver_does_not_exist")
        print(json.dumps(error_step("Get", lambda: client.Get(unknown, timeout=TIMEOUT))), flush=True)

        emit(step="done")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addr", default="127.0.0.1:8080", help="verifyd's host:port")
    parser.add_argument("--number", default="+12025550100", help="a number the first provider accepts")
    parser.add_argument("--failover-number", default="+12025550110", help="a number the first provider rejects")
    args = parser.parse_args()
    try:
        run(args.addr, args.number, args.failover_number)
    except Exception as error:  # noqa: BLE001 - reported as a step, for the test to show
        emit(step="fatal", error=f"{type(error).__name__}: {error}")
        sys.exit(1)


if __name__ == "__main__":
    main()
