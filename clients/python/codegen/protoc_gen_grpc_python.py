"""protoc-gen-grpc_python for buf: grpcio-tools' gRPC Python generator as a plugin.

grpcio-tools ships the gRPC Python generator only inside its own protoc
(``python -m grpc_tools.protoc --grpc_python_out``), and buf runs only
protoc's built-in generators (python, pyi) through a protoc. This plugin reads
buf's CodeGeneratorRequest, hands the files it carries to that protoc as a
descriptor set and answers with what it wrote. buf.gen.clients.yaml runs it
with the venv's Python (.tools/python, scripts/install-codegen-tools.sh).
"""

import os
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def main() -> int:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    response = plugin_pb2.CodeGeneratorResponse(
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    )
    with tempfile.TemporaryDirectory() as scratch:
        descriptors = os.path.join(scratch, "input.binpb")
        with open(descriptors, "wb") as out:
            out.write(descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString())
        generated = os.path.join(scratch, "out")
        os.mkdir(generated)
        options = f"{request.parameter}:" if request.parameter else ""
        status = protoc.main(
            [
                "grpc_tools.protoc",
                f"--descriptor_set_in={descriptors}",
                f"--grpc_python_out={options}{generated}",
                *request.file_to_generate,
            ]
        )
        if status != 0:
            response.error = f"grpc_tools.protoc exited with {status}"
        else:
            for root, _, names in os.walk(generated):
                for name in sorted(names):
                    path = os.path.join(root, name)
                    with open(path, encoding="utf-8") as source:
                        response.file.add(
                            name=os.path.relpath(path, generated).replace(os.sep, "/"), content=source.read()
                        )
    sys.stdout.buffer.write(response.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main())
