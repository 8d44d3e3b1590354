import logging

import pytest
from langchain_core.load import dumps

from langchain_bedrock_claude import AnthropicBedrock, BedrockClaude, ChatBedrockClaude

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
TOKEN = "FQoGZXIvYXdzEXAMPLESESSIONTOKEN"
KEY_ID = "AKIDEXAMPLE123"


@pytest.fixture(params=[BedrockClaude, ChatBedrockClaude])
def llm(monkeypatch, request):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return request.param(
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        aws_session_token=TOKEN,
        region_name="us-east-1",
    )


def test_llm_repr_str_and_dumps_hide_secrets(llm):
    for text in (repr(llm), str(llm), dumps(llm), dumps(llm, pretty=True), str(llm.asdict())):
        assert SECRET not in text
        assert TOKEN not in text
    serialized = dumps(llm)
    assert "AWS_SECRET_ACCESS_KEY" in serialized
    module = "llms" if isinstance(llm, BedrockClaude) else "chat_models"
    assert f'"langchain_bedrock_claude", "{module}", "{type(llm).__name__}"' in serialized


@pytest.mark.parametrize("kind", [BedrockClaude, ChatBedrockClaude])
def test_secrets_are_read_from_the_environment(monkeypatch, kind):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    llm = kind()
    assert llm.aws_secret_access_key is not None
    assert llm.aws_secret_access_key.get_secret_value() == SECRET
    assert SECRET not in repr(llm)


def test_client_repr_hides_secrets():
    client = AnthropicBedrock(
        access_key=KEY_ID, secret_key=SECRET, region="us-east-1", session_token=TOKEN
    )
    assert SECRET not in repr(client)
    assert TOKEN not in repr(client)
    assert SECRET not in repr(client._runtime)


def test_no_secret_in_debug_logs_when_building_a_client(caplog, llm):
    with caplog.at_level(logging.DEBUG):
        llm._runtime.get()
    for record in caplog.records:
        assert SECRET not in record.getMessage()
        assert TOKEN not in record.getMessage()
