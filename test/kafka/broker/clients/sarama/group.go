package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

// member is one ConsumerGroup member: the sessions it was given and what it consumed.
type member struct {
	name  string
	r     *run
	group sarama.ConsumerGroup
	mu    sync.Mutex
	// The claims of the session in progress, or nil between sessions.
	current *sessionInfo
	done    chan struct{}
}

func (m *member) Setup(s sarama.ConsumerGroupSession) error {
	claims := append([]int32(nil), s.Claims()[m.r.topic]...)
	sort.Slice(claims, func(i, j int) bool { return claims[i] < claims[j] })
	info := sessionInfo{Generation: s.GenerationID(), Claims: claims}
	m.mu.Lock()
	m.current = &info
	m.mu.Unlock()
	m.r.mu.Lock()
	m.r.rep.Group.Sessions[m.name] = append(m.r.rep.Group.Sessions[m.name], info)
	m.r.mu.Unlock()
	return nil
}

func (m *member) Cleanup(sarama.ConsumerGroupSession) error {
	m.mu.Lock()
	m.current = nil
	m.mu.Unlock()
	return nil
}

func (m *member) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for msg := range claim.Messages() {
		m.r.mu.Lock()
		m.r.rep.Group.Consumed = append(m.r.rep.Group.Consumed, consumedInfo{
			Member: m.name, Generation: s.GenerationID(), Partition: msg.Partition, Offset: msg.Offset,
			Key: string(msg.Key), Value: string(msg.Value),
		})
		m.r.mu.Unlock()
		s.MarkMessage(msg, "")
	}
	return nil
}

func (m *member) session() *sessionInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.current
}

// startMember joins the group and keeps consuming (rejoining after each rebalance) until ctx ends.
func (r *run) startMember(ctx context.Context, name, group string) (*member, error) {
	cfg := r.config("sarama-" + name)
	// A retention time makes sarama commit with OffsetCommit v2; the offset manager uses v1.
	cfg.Consumer.Offsets.Retention = time.Hour
	g, err := sarama.NewConsumerGroup(r.brokers, group, cfg)
	if err != nil {
		return nil, err
	}
	m := &member{name: name, r: r, group: g, done: make(chan struct{})}
	go func() {
		for e := range g.Errors() {
			r.fail("member "+name, e)
		}
	}()
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{r.topic}, m); err != nil {
				if err == sarama.ErrClosedConsumerGroup {
					return
				}
				r.fail("Consume "+name, err)
				time.Sleep(100 * time.Millisecond)
			}
		}
	}()
	return m, nil
}

// waitUntil polls cond every 20 ms; it records a failure named what after timeout.
func (r *run) waitUntil(what string, timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			r.fail("wait", fmt.Errorf("timed out after %v waiting for %s", timeout, what))
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// consumerGroup runs member a alone, then member b (a rebalance splits the partitions), produces
// a second round, waits until every message was consumed and committed, and describes the group
// while both members are in it and after both left.
func (r *run) consumerGroup(producer sarama.SyncProducer, admin sarama.ClusterAdmin) {
	group := r.group + "-members"
	r.rep.Group.Sessions = map[string][]sessionInfo{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := r.startMember(ctx, "a", group)
	if err != nil {
		r.fail("NewConsumerGroup a", err)
		return
	}
	defer a.group.Close()
	if !r.waitUntil("member a to claim every partition", 15*time.Second, func() bool {
		s := a.session()
		return s != nil && len(s.Claims) == partitions
	}) {
		return
	}
	b, err := r.startMember(ctx, "b", group)
	if err != nil {
		r.fail("NewConsumerGroup b", err)
		return
	}
	defer b.group.Close()
	if !r.waitUntil("members a and b to share the partitions", 20*time.Second, func() bool {
		sa, sb := a.session(), b.session()
		return sa != nil && sb != nil && sa.Generation == sb.Generation && len(sa.Claims) > 0 && len(sb.Claims) > 0 &&
			len(sa.Claims)+len(sb.Claims) == partitions
	}) {
		return
	}
	r.produce(producer, "second", secondRound)
	want := map[string]bool{}
	for _, p := range r.rep.Produced {
		want[p.Key] = true
	}
	r.waitUntil("every produced message to be consumed", 15*time.Second, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		seen := map[string]bool{}
		for _, c := range r.rep.Group.Consumed {
			seen[c.Key] = true
		}
		return len(seen) == len(want)
	})
	r.rep.Group.DescribeActive = r.describeGroup(admin, group)
	end := int64(firstRound + secondRound)
	r.waitUntil("the group's commits to reach the end of every partition", 10*time.Second, func() bool {
		for _, c := range r.groupOffsets(admin, group) {
			if c.Offset != end {
				return false
			}
		}
		return true
	})
	r.rep.Group.Committed = r.groupOffsets(admin, group)
	cancel()
	if err := a.group.Close(); err != nil {
		r.fail("ConsumerGroup.Close a", err)
	}
	if err := b.group.Close(); err != nil {
		r.fail("ConsumerGroup.Close b", err)
	}
	<-a.done
	<-b.done
	r.rep.Group.DescribeStopped = r.describeGroup(admin, group)
}

func (r *run) describeGroup(admin sarama.ClusterAdmin, group string) groupDescription {
	groups, err := admin.DescribeConsumerGroups([]string{group})
	if err != nil {
		r.fail("DescribeConsumerGroups", err)
		return groupDescription{}
	}
	if len(groups) != 1 {
		r.fail("DescribeConsumerGroups", fmt.Errorf("%d groups described, expected 1", len(groups)))
		return groupDescription{}
	}
	g := groups[0]
	out := groupDescription{Error: errText(g.Err), State: g.State, ProtocolType: g.ProtocolType, Protocol: g.Protocol, Members: []memberDescription{}}
	for id, m := range g.Members {
		d := memberDescription{ClientID: m.ClientId, ClientHost: m.ClientHost}
		if meta, err := m.GetMemberMetadata(); err != nil {
			r.fail("member metadata of "+id, err)
		} else {
			d.Topics = meta.Topics
		}
		if assignment, err := m.GetMemberAssignment(); err != nil {
			r.fail("member assignment of "+id, err)
		} else {
			d.Assignment = append([]int32(nil), assignment.Topics[r.topic]...)
			sort.Slice(d.Assignment, func(i, j int) bool { return d.Assignment[i] < d.Assignment[j] })
		}
		out.Members = append(out.Members, d)
	}
	sort.Slice(out.Members, func(i, j int) bool { return out.Members[i].ClientID < out.Members[j].ClientID })
	return out
}

func (r *run) listGroups(admin sarama.ClusterAdmin) {
	groups, err := admin.ListConsumerGroups()
	if err != nil {
		r.fail("ListConsumerGroups", err)
		return
	}
	r.rep.Groups = groups
}

func (r *run) describeConfig(admin sarama.ClusterAdmin) {
	entries, err := admin.DescribeConfig(sarama.ConfigResource{
		Type:        sarama.TopicResource,
		Name:        r.topic,
		ConfigNames: []string{"retention.ms", "cleanup.policy", "min.insync.replicas"},
	})
	if err != nil {
		r.fail("DescribeConfig", err)
		return
	}
	for _, e := range entries {
		r.rep.Configs = append(r.rep.Configs, configInfo{Name: e.Name, Value: e.Value, ReadOnly: e.ReadOnly, Default: e.Default, Sensitive: e.Sensitive})
	}
	sort.Slice(r.rep.Configs, func(i, j int) bool { return r.rep.Configs[i].Name < r.rep.Configs[j].Name })
}

func (r *run) topicNames(admin sarama.ClusterAdmin) []string {
	topics, err := admin.ListTopics()
	if err != nil {
		r.fail("ListTopics", err)
		return nil
	}
	names := []string{}
	for name := range topics {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func (r *run) deleteTopic(admin sarama.ClusterAdmin) {
	r.rep.TopicsBefore = r.topicNames(admin)
	if err := admin.DeleteTopic(r.deleted); err != nil {
		r.fail("DeleteTopic", err)
		return
	}
	r.rep.TopicsAfter = r.topicNames(admin)
	described, err := admin.DescribeTopics([]string{r.deleted})
	if err != nil {
		r.fail("DescribeTopics", err)
		return
	}
	for _, t := range described {
		r.rep.DescribeAfter = append(r.rep.DescribeAfter, topicDescribeAfter{Name: t.Name, Error: errText(t.Err)})
	}
}
