#include "actors/actor_port.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fstream>
#include <memory>
#include <tuple>

#include <caf/actor_cast.hpp>
#include <caf/actor_registry.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/function_view.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/node_id.hpp>
#include <caf/openssl/remote_actor.hpp>
#include <caf/send.hpp>
#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "actors/actor_port_middleman.hpp"
#include "actors/actor_port_tls_scribe.hpp"
#include "actors/errors.hpp"

namespace hogar {

namespace {

/// The registry name under which a started port's middleman actor is found.
constexpr caf::atom_value registry_key = caf::atom("actor_port");

/// An encrypted key would make OpenSSL prompt on the terminal; refuse it instead.
int no_passphrase(char*, int, int, void*) {
  return 0;
}

/// Checks the handshake deadlines of the port's connections each time the guard scheduled a
/// sweep_atom for one (actor_port_guard::watch).
caf::behavior watchdog(caf::event_based_actor*, std::shared_ptr<actor_port_guard> guard) {
  return {
    [guard](sweep_atom) { guard->sweep(actor_port_guard::clock::now()); },
  };
}

std::string render(caf::actor_system& sys, const caf::error& err) {
  return code_of(err) == errc::internal ? sys.render(err) : message_of(err);
}

} // namespace

result<bool> check_tls_files(const tls_files& files) {
  if (files.certificate.empty() || files.key.empty() || files.ca.empty())
    return fail(errc::invalid_argument,
                "tls-certificate, tls-key and tls-ca go together: set all three (mutual TLS) "
                "or none (plain TCP, loopback only)");
  for (auto [key, path] : {std::pair{"tls-certificate", &files.certificate},
                           std::pair{"tls-key", &files.key}, std::pair{"tls-ca", &files.ca}})
    if (!std::ifstream{*path})
      return fail(errc::io_error, fmt::format("{}: cannot open '{}'", key, *path));
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx{SSL_CTX_new(TLS_method()), SSL_CTX_free};
  if (!ctx)
    return fail(errc::internal, take_openssl_error("cannot create an OpenSSL context"));
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), files.certificate.c_str()) != 1)
    return fail(errc::invalid_argument,
                fmt::format("tls-certificate: '{}' is not a PEM certificate: {}",
                            files.certificate, take_openssl_error("unreadable")));
  // Read the key on its own first: SSL_CTX_use_PrivateKey_file would report a key of another
  // certificate as an unreadable key.
  std::unique_ptr<BIO, decltype(&BIO_free)> key_file{BIO_new_file(files.key.c_str(), "r"),
                                                     BIO_free};
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{
    key_file ? PEM_read_bio_PrivateKey(key_file.get(), nullptr, no_passphrase, nullptr)
             : nullptr,
    EVP_PKEY_free};
  if (!key)
    return fail(errc::invalid_argument,
                fmt::format("tls-key: '{}' is not an unencrypted PEM private key: {}", files.key,
                            take_openssl_error("unreadable")));
  if (X509_check_private_key(SSL_CTX_get0_certificate(ctx.get()), key.get()) != 1) {
    ERR_clear_error();
    return fail(errc::invalid_argument,
                fmt::format("tls-key: '{}' does not belong to the certificate '{}' "
                            "(tls-certificate)",
                            files.key, files.certificate));
  }
  if (SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1)
    return fail(errc::invalid_argument,
                fmt::format("tls-key: '{}': {}", files.key, take_openssl_error("unusable")));
  if (SSL_CTX_load_verify_locations(ctx.get(), files.ca.c_str(), nullptr) != 1)
    return fail(errc::invalid_argument,
                fmt::format("tls-ca: '{}' holds no PEM CA certificate: {}", files.ca,
                            take_openssl_error("unreadable")));
  // Peers check this certificate against the same CA: a mismatch found now is one message
  // here instead of every connection failing later.
  STACK_OF(X509)* chain = nullptr;
  SSL_CTX_get0_chain_certs(ctx.get(), &chain);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> verify{X509_STORE_CTX_new(),
                                                                         X509_STORE_CTX_free};
  if (!verify
      || X509_STORE_CTX_init(verify.get(), SSL_CTX_get_cert_store(ctx.get()),
                             SSL_CTX_get0_certificate(ctx.get()), chain)
           != 1)
    return fail(errc::internal, take_openssl_error("cannot verify the certificate"));
  if (X509_verify_cert(verify.get()) != 1)
    return fail(errc::invalid_argument,
                fmt::format("tls-certificate: '{}' does not verify against the CA in '{}' "
                            "(tls-ca): {}",
                            files.certificate, files.ca,
                            X509_verify_cert_error_string(
                              X509_STORE_CTX_get_error(verify.get()))));
  ERR_clear_error();
  return true;
}

bool is_loopback(const std::string& host) {
  if (host == "localhost")
    return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6))
      return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

actor_port::actor_port(caf::actor_system& sys, const actor_port_limits& limits,
                       actor_port_guard::log_function log)
  : sys_(sys), tls_(sys.has_openssl_manager()),
    guard_(std::make_shared<actor_port_guard>(limits, std::move(log))) {
  watchdog_ = sys.spawn<caf::hidden>(watchdog, guard_);
  guard_->set_watchdog(watchdog_);
  auto broker = sys.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  // Detached like CAF's own middleman actor: connect() blocks in the kernel's connect.
  middleman_ = sys.spawn<actor_port_middleman, caf::detached + caf::hidden>(
    std::move(broker), guard_, tls_);
  sys.registry().put(registry_key, middleman_);
}

actor_port::~actor_port() {
  sys_.registry().erase(registry_key);
  // The middleman actor ignores ordinary exit messages (CAF links helpers to it); kill is
  // always fatal. The actor system joins its thread when it stops.
  caf::anon_send_exit(middleman_, caf::exit_reason::kill);
  caf::anon_send_exit(watchdog_, caf::exit_reason::kill);
}

result<std::uint16_t> actor_port::publish(const caf::actor& whom, std::uint16_t port,
                                          const std::string& host) {
  auto f = caf::make_function_view(middleman_);
  // The request CAF's middleman().publish() sends its own middleman actor.
  auto bound = f(caf::publish_atom::value, port, caf::actor_cast<caf::strong_actor_ptr>(whom),
                 sys_.message_types(whom), host, true);
  if (!bound)
    return fail(errc::unavailable, render(sys_, bound.error()));
  return *bound;
}

result<caf::actor> remote_actor(caf::actor_system& sys, const std::string& host,
                                std::uint16_t port, std::chrono::milliseconds timeout) {
  auto failed = [&](const caf::error& err) {
    return fail(errc::unavailable, render(sys, err));
  };
  auto port_actor = sys.registry().get<caf::io::middleman_actor>(registry_key);
  if (!port_actor) {
    // A process that started no actor port (benchmarks, tests): CAF's own middleman.
    auto node = sys.has_openssl_manager() ? caf::openssl::remote_actor(sys, host, port)
                                          : sys.middleman().remote_actor(host, port);
    if (!node)
      return failed(node.error());
    return *node;
  }
  auto f = caf::make_function_view(port_actor, caf::duration{timeout});
  auto answer = f(caf::connect_atom::value, host, port);
  if (!answer)
    return failed(answer.error());
  auto& ptr = std::get<1>(*answer);
  if (!ptr)
    return failed(caf::make_error(caf::sec::no_actor_published_at_port, port));
  return caf::actor_cast<caf::actor>(std::move(ptr));
}

} // namespace hogar
