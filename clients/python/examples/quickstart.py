"""Sends a code to a phone number through verifyd and checks the code typed in reply.

    python examples/quickstart.py localhost:8080 +12025550100
"""

import sys

import grpc

from verify.v1 import verify_pb2, verify_pb2_grpc


def main() -> None:
    address, number = sys.argv[1], sys.argv[2]
    # verifyd speaks plaintext HTTP/2 on its port; use grpc.secure_channel when a proxy terminates TLS.
    with grpc.insecure_channel(address) as channel:
        client = verify_pb2_grpc.VerificationServiceStub(channel)
        try:
            started = client.Start(verify_pb2.StartRequest(phone_number=number), timeout=30)
        except grpc.RpcError as error:  # an invalid number is INVALID_ARGUMENT, with the reason in details()
            sys.exit(f"{error.code().name}: {error.details()}")
        verification = started.verification
        status = verify_pb2.VerificationStatus.Name(verification.status)
        print(f"{verification.id}: {status}")
        code = input("code: ").strip()
        checked = client.Check(verify_pb2.CheckRequest(verification_id=verification.id, code=code), timeout=30)
        print(f"approved: {checked.approved} ({verify_pb2.VerificationStatus.Name(checked.verification.status)})")


if __name__ == "__main__":
    main()
