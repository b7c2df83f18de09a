// node_membership.cpp: the node actor's membership: joining through seeds, heartbeats to
// every live member, the views they exchange, direct connections, and telling the graph
// supervisors which members died (actors/membership.hpp keeps the table itself).
#include <chrono>

#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <fmt/format.h>

#include "actors/actor_port.hpp"
#include "actors/clock.hpp"
#include "actors/node_internal.hpp"

namespace hogar::node_detail {

using self_ptr = node_ptr;
using namespace std::chrono_literals;

void connect(self_ptr self, const std::string& host, std::uint16_t port);

namespace {

/// Dead members are probed this often, to notice a restarted daemon.
constexpr std::int64_t reconnect_interval_ns = 2'000'000'000;

std::string endpoint_key(const std::string& host, std::uint16_t port) {
  return fmt::format("{}:{}", host, port);
}

/// Pushes every open graph to a member that just (re)joined, so that it gets an ingress too.
void share_graphs(self_ptr self, const node_info& peer) {
  for (auto& [name, g] : self->state.graphs) {
    if (!g.ingress)
      continue;
    self->request(peer.node, peer_timeout, deploy_atom::value, deployment_of(name, g))
      .then([self, peer, name = name](deploy_atom) {
        self->send(peer.node, open_atom::value, name);
      }, [self, peer, name = name](caf::error& err) {
        log(self, "warning", fmt::format("could not share graph '{}' with {}: {}", name,
                                         peer.name, message_of(err)));
      });
  }
}

/// A member another node told us of is reached through that node until a direct connection
/// exists: CAF relays, and losing the relay would cut us off from the member too (its actors
/// would look dead, and the graph supervisors would move its replicas away). So connect to
/// every member ourselves (the daemons turn CAF's automatic connections off: plain sockets
/// outside the actor port, which came late or not at all). CAF closes a second connection
/// again when a direct one exists, and its middleman answers repeated connects from a cache.
void connect_directly(self_ptr self, const node_info& info) {
  connect(self, info.host, info.actor_port);
}

} // namespace

void on_heard(self_ptr self, const node_info& info) {
  auto now = now_ns(self);
  if (self->state.members->heard(info, now)) {
    log(self, "info", fmt::format("member {} ({}:{}) is alive", info.name, info.host,
                                  info.actor_port));
    self->monitor(info.node);
    share_graphs(self, info);
    connect_directly(self, info);
  }
}

void on_view(self_ptr self, const std::vector<member>& view) {
  for (auto& info : self->state.members->merge(view, now_ns(self))) {
    log(self, "info", fmt::format("learned of member {} ({}:{})", info.name, info.host,
                                  info.actor_port));
    self->monitor(info.node);
    connect_directly(self, info);
  }
}

/// Reaches the node actor at host:port from a short-lived detached actor (remote_actor
/// blocks), then joins through it.
void connect(self_ptr self, const std::string& host, std::uint16_t port) {
  auto& st = self->state;
  auto key = endpoint_key(host, port);
  if (st.connecting.count(key) > 0)
    return;
  st.connecting.insert(key);
  st.last_attempt_ns[key] = now_ns(self);
  auto connector = self->spawn<caf::detached>([host, port](caf::event_based_actor* c) {
    return caf::behavior{[c, host, port](connect_atom) -> caf::result<caf::actor> {
      // Through the actor port: its limits, and TLS when the daemon has certificates.
      auto node = remote_actor(c->system(), host, port);
      c->quit();
      if (!node)
        return make_error(node.error());
      return *node;
    }};
  });
  self->request(connector, 30s, connect_atom::value)
    .then(
      [self, key](caf::actor& node) {
        auto info = self->state.members->self();
        self->request(node, peer_timeout, join_atom::value, info)
          .then(
            [self, key](std::vector<member>& view) {
              self->state.connecting.erase(key);
              for (auto& m : view)
                if (m.state == member_state::alive && m.info.node)
                  on_heard(self, m.info);
              on_view(self, view);
            },
            [self, key](caf::error& err) {
              self->state.connecting.erase(key);
              log(self, "debug", fmt::format("join through {} failed: {}", key, message_of(err)));
            });
      },
      [self, key](caf::error& err) {
        self->state.connecting.erase(key);
        log(self, "debug", fmt::format("cannot reach {}: {}", key, message_of(err)));
      });
}

/// Tells the graph supervisors of this node about members newly declared dead (silent for
/// too long, or their connection lost): their replicas are lost.
void report_dead_members(self_ptr self) {
  auto& st = self->state;
  std::set<std::string> dead;
  for (auto& m : st.members->view())
    if (m.state == member_state::dead)
      dead.insert(m.info.name);
  for (auto& name : dead) {
    if (st.dead_members.count(name) > 0)
      continue;
    log(self, "warning", fmt::format("member {} is dead", name));
    for (auto& [graph, supervisor] : st.supervisors)
      self->send(supervisor, member_down_atom::value, name);
  }
  st.dead_members = std::move(dead);
}

void note_member_states(self_ptr self) {
  auto& since = self->state.member_since;
  auto now = unix_ms_now();
  for (auto& m : self->state.members->view()) {
    auto i = since.find(m.info.name);
    if (i == since.end())
      since.emplace(m.info.name, std::pair{m.state, now});
    else if (i->second.first != m.state)
      i->second = {m.state, now};
  }
}

void on_tick(self_ptr self) {
  auto& st = self->state;
  auto now = now_ns(self);
  if (st.members->age(now))
    for (auto& m : st.members->view())
      if (m.state != member_state::alive)
        log(self, "debug", fmt::format("member {} is {}", m.info.name, to_string(m.state)));
  note_member_states(self);
  // Also deaths learned from gossip (merged views) since the last tick.
  report_dead_members(self);
  auto me = st.members->self();
  auto view = st.members->view();
  for (auto& peer : st.members->live_peers())
    if (peer.node)
      self->send(peer.node, heartbeat_atom::value, me, view);
  // Seeds not yet among the live members, and dead members that may have restarted.
  auto live = st.members->live_peers();
  auto is_live = [&](const std::string& host, std::uint16_t port) {
    for (auto& p : live)
      if (p.host == host && p.actor_port == port)
        return true;
    return false;
  };
  auto due = [&](const std::string& key) {
    auto i = st.last_attempt_ns.find(key);
    return i == st.last_attempt_ns.end() || now - i->second >= reconnect_interval_ns;
  };
  for (auto& seed : st.cfg.options.seeds) {
    bool is_self = seed.port == me.actor_port
                   && (seed.host == me.host || seed.host == "localhost");
    if (!is_self && !is_live(seed.host, seed.port) && due(endpoint_key(seed.host, seed.port)))
      connect(self, seed.host, seed.port);
  }
  for (auto& peer : st.members->dead_peers())
    if (!is_live(peer.host, peer.actor_port) && due(endpoint_key(peer.host, peer.actor_port)))
      connect(self, peer.host, peer.actor_port);
  self->delayed_send(self, std::chrono::milliseconds(st.cfg.options.heartbeat_interval_ms),
                     tick_atom::value);
}

} // namespace hogar::node_detail
