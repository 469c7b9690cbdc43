"""WeChat Pay APIv3 cryptography on the ``cryptography`` package's primitives (nothing
hand-rolled): RSA-SHA256 signatures (PKCS#1 v1.5, the WECHATPAY2-SHA256-RSA2048 scheme)
and AEAD_AES_256_GCM resources (RFC 5116: 32-byte APIv3 key, 12-byte nonce, the tag
appended to the ciphertext, base64).

What is signed:
- a notification or an answer from WeChat Pay: ``timestamp\\nnonce\\nbody\\n``;
- a request to WeChat Pay: ``METHOD\\nPATH?QUERY\\ntimestamp\\nnonce\\nbody\\n``.
The body is the exact bytes sent, never a re-serialisation.
"""

import base64
import binascii
import re
import secrets

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEME = "WECHATPAY2-SHA256-RSA2048"
ALGORITHM = "AEAD_AES_256_GCM"
_AUTH_PARAM = re.compile(r'(\w+)="([^"]*)"')


class CryptoError(ValueError):
    """A key, signature or ciphertext that cannot be used."""


def signed_message(*parts: str | bytes) -> bytes:
    """The parts, each followed by a line feed."""
    return b"".join((p.encode() if isinstance(p, str) else p) + b"\n" for p in parts)


def sign(private_key: rsa.RSAPrivateKey, message: bytes) -> str:
    signature = private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def verify(public_key: rsa.RSAPublicKey, message: bytes, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def decrypt(key: bytes, *, nonce: str, associated_data: str, ciphertext: str) -> bytes:
    try:
        raw = base64.b64decode(ciphertext, validate=True)
        return AESGCM(key).decrypt(nonce.encode(), raw, associated_data.encode())
    except (InvalidTag, binascii.Error, ValueError) as exc:
        raise CryptoError("resource does not decrypt") from exc


def encrypt(key: bytes, *, nonce: str, associated_data: str, plaintext: bytes) -> str:
    """What WeChat Pay does to a resource (the fake uses it)."""
    sealed = AESGCM(key).encrypt(nonce.encode(), plaintext, associated_data.encode())
    return base64.b64encode(sealed).decode()


def new_nonce(length: int = 32) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def authorization(
    *, mchid: str, serial: str, private_key: rsa.RSAPrivateKey, method: str, path: str,
    body: bytes, timestamp: int, nonce: str
) -> str:
    """The ``Authorization`` header of a request to WeChat Pay."""
    message = signed_message(method.upper(), path, str(timestamp), nonce, body)
    signature = sign(private_key, message)
    return (f'{SCHEME} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{serial}"')


def parse_authorization(header: str) -> dict[str, str]:
    scheme, _, params = header.partition(" ")
    if scheme != SCHEME:
        raise CryptoError(f"unknown scheme {scheme[:40]!r}")
    return dict(_AUTH_PARAM.findall(params))


def load_public_key(pem: bytes) -> rsa.RSAPublicKey:
    """A platform certificate or a WeChat Pay public key, PEM."""
    try:
        if b"BEGIN CERTIFICATE" in pem:
            key = x509.load_pem_x509_certificate(pem).public_key()
        else:
            key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise CryptoError("not a PEM certificate or public key") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise CryptoError("not an RSA key")
    return key


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise CryptoError("not an unencrypted PEM private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CryptoError("not an RSA key")
    return key


def new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def public_pem(key: rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo)
