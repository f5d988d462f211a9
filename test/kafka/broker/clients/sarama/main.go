// Command sarama-client drives Shopify's sarama (the Go Kafka client) against a cluster and prints
// a JSON report of what it saw, for ../sarama.test.ts to assert on. It covers metadata,
// a sync producer with acks=all, ListOffsets (GetOffset, and an offset poller's zero-value
// OffsetRequest), the offset manager (OffsetCommit and OffsetFetch), a two-member ConsumerGroup
// with a rebalance, and ClusterAdmin.
//
//	sarama-client -brokers 127.0.0.1:9092 -version 2.0.0 -topic t -deleted-topic d -rf 1 -group g
//
// It creates two topics: -topic, used by everything else and left in place for the caller to
// inspect, and -deleted-topic, deleted again at the end.
//
// Every step records its error instead of stopping, so that one report shows everything that
// failed. Built in GOPATH mode over Debian's golang-github-shopify-sarama-dev (sarama 1.22.1).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

// Partitions of the topic the client creates.
const partitions = 4

// Messages produced to each partition before the group starts, and after its rebalance.
const (
	firstRound  = 3
	secondRound = 2
)

// run is one client run: what it was asked to do and the report it fills in.
type run struct {
	brokers []string
	version sarama.KafkaVersion
	topic   string
	deleted string
	rf      int16
	group   string
	rep     *report
	mu      sync.Mutex
}

func (r *run) fail(step string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rep.Errors = append(r.rep.Errors, fmt.Sprintf("%s: %v", step, err))
}

func (r *run) config(clientID string) *sarama.Config {
	c := sarama.NewConfig()
	c.Version = r.version
	c.ClientID = clientID
	c.Net.DialTimeout = 5 * time.Second
	c.Net.ReadTimeout = 10 * time.Second
	c.Metadata.Retry.Backoff = 100 * time.Millisecond
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Return.Successes = true
	c.Producer.Partitioner = sarama.NewManualPartitioner
	c.Producer.Retry.Backoff = 100 * time.Millisecond
	c.Consumer.Return.Errors = true
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Offsets.CommitInterval = 100 * time.Millisecond
	c.Consumer.Fetch.Default = 64 * 1024
	c.Consumer.MaxWaitTime = 100 * time.Millisecond
	c.Consumer.Retry.Backoff = 100 * time.Millisecond
	c.Consumer.Group.Session.Timeout = 6 * time.Second
	c.Consumer.Group.Heartbeat.Interval = 200 * time.Millisecond
	c.Consumer.Group.Rebalance.Timeout = 6 * time.Second
	c.Consumer.Group.Rebalance.Retry.Backoff = 100 * time.Millisecond
	c.Admin.Timeout = 5 * time.Second
	return c
}

func main() {
	brokers := flag.String("brokers", "", "comma-separated host:port list")
	version := flag.String("version", "2.0.0", "Kafka version sarama speaks")
	topic := flag.String("topic", "sarama", "topic to create and use")
	deleted := flag.String("deleted-topic", "sarama-deleted", "topic to create and delete")
	rf := flag.Int("rf", 1, "replication factor of the topic")
	group := flag.String("group", "sarama", "prefix of the consumer group names")
	verbose := flag.Bool("v", false, "log sarama's own messages to stderr")
	flag.Parse()
	if *verbose {
		sarama.Logger = log.New(os.Stderr, "[sarama] ", log.Lmicroseconds)
	}
	v, err := sarama.ParseKafkaVersion(*version)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	r := &run{
		brokers: strings.Split(*brokers, ","),
		version: v,
		topic:   *topic,
		deleted: *deleted,
		rf:      int16(*rf),
		group:   *group,
		rep:     &report{Version: v.String(), Errors: []string{}, Groups: map[string]string{}},
	}
	r.main()
	out, _ := json.MarshalIndent(r.rep, "", "  ")
	fmt.Println(string(out))
}

func (r *run) main() {
	admin, err := sarama.NewClusterAdmin(r.brokers, r.config("sarama-admin"))
	if err != nil {
		r.fail("NewClusterAdmin", err)
		return
	}
	defer admin.Close()
	detail := &sarama.TopicDetail{
		NumPartitions:     partitions,
		ReplicationFactor: r.rf,
		ConfigEntries:     map[string]*string{"retention.ms": str("3600000")},
	}
	if err := admin.CreateTopic(r.topic, detail, false); err != nil {
		r.fail("CreateTopic", err)
		return
	}
	if err := admin.CreateTopic(r.deleted, &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: r.rf}, false); err != nil {
		r.fail("CreateTopic "+r.deleted, err)
	}

	client, err := sarama.NewClient(r.brokers, r.config("sarama-client"))
	if err != nil {
		r.fail("NewClient", err)
		return
	}
	defer client.Close()
	r.metadata(client)
	producer, err := sarama.NewSyncProducerFromClient(client)
	if err != nil {
		r.fail("NewSyncProducer", err)
		return
	}
	defer producer.Close()
	r.produce(producer, "first", firstRound)
	r.offsets(client)
	r.pollerOffsets(client)
	r.offsetManager(client, admin)
	r.consumerGroup(producer, admin)
	r.listGroups(admin)
	r.describeConfig(admin)
	r.deleteTopic(admin)
}

func str(s string) *string { return &s }

func (r *run) metadata(client sarama.Client) {
	if err := client.RefreshMetadata(r.topic); err != nil {
		r.fail("RefreshMetadata", err)
	}
	for _, b := range client.Brokers() {
		r.rep.Brokers = append(r.rep.Brokers, brokerInfo{ID: b.ID(), Addr: b.Addr()})
	}
	sort.Slice(r.rep.Brokers, func(i, j int) bool { return r.rep.Brokers[i].ID < r.rep.Brokers[j].ID })
	if c, err := client.Controller(); err != nil {
		r.fail("Controller", err)
	} else {
		r.rep.Controller = c.ID()
	}
	ids, err := client.Partitions(r.topic)
	if err != nil {
		r.fail("Partitions", err)
		return
	}
	for _, p := range ids {
		info := partitionInfo{Partition: p, Leader: -1}
		if leader, err := client.Leader(r.topic, p); err != nil {
			r.fail(fmt.Sprintf("Leader %d", p), err)
		} else {
			info.Leader = leader.ID()
		}
		if info.Replicas, err = client.Replicas(r.topic, p); err != nil {
			r.fail(fmt.Sprintf("Replicas %d", p), err)
		}
		if info.Isr, err = client.InSyncReplicas(r.topic, p); err != nil {
			r.fail(fmt.Sprintf("InSyncReplicas %d", p), err)
		}
		r.rep.Partitions = append(r.rep.Partitions, info)
	}
	sort.Slice(r.rep.Partitions, func(i, j int) bool { return r.rep.Partitions[i].Partition < r.rep.Partitions[j].Partition })
}

// produce sends n messages to every partition in one SendMessages call, keyed round-p<p>-<i>.
func (r *run) produce(producer sarama.SyncProducer, round string, n int) {
	var msgs []*sarama.ProducerMessage
	for p := int32(0); p < partitions; p++ {
		for i := 0; i < n; i++ {
			key := fmt.Sprintf("%s-p%d-%d", round, p, i)
			msgs = append(msgs, &sarama.ProducerMessage{
				Topic:     r.topic,
				Partition: p,
				Key:       sarama.StringEncoder(key),
				Value:     sarama.StringEncoder("value of " + key),
			})
		}
	}
	if err := producer.SendMessages(msgs); err != nil {
		r.fail("SendMessages "+round, err)
	}
	for _, m := range msgs {
		key, _ := m.Key.Encode()
		r.rep.Produced = append(r.rep.Produced, producedInfo{Key: string(key), Partition: m.Partition, Offset: m.Offset})
	}
}

func (r *run) offsets(client sarama.Client) {
	for p := int32(0); p < partitions; p++ {
		oldest, err := client.GetOffset(r.topic, p, sarama.OffsetOldest)
		if err != nil {
			r.fail(fmt.Sprintf("GetOffset oldest %d", p), err)
		}
		newest, err := client.GetOffset(r.topic, p, sarama.OffsetNewest)
		if err != nil {
			r.fail(fmt.Sprintf("GetOffset newest %d", p), err)
		}
		r.rep.Offsets = append(r.rep.Offsets, offsetsInfo{Partition: p, Oldest: oldest, Newest: newest})
	}
}

// pollerOffsets asks every partition's leader for its newest and oldest offset the way offset
// pollers built on sarama do (Burrow among them): a zero-value OffsetRequest, i.e. ListOffsets v0,
// whatever Kafka version the client is set for.
func (r *run) pollerOffsets(client sarama.Client) {
	out := make([]pollerInfo, partitions)
	for i := range out {
		out[i].Partition = int32(i)
	}
	for _, spec := range []int64{sarama.OffsetNewest, sarama.OffsetOldest} {
		requests := map[*sarama.Broker]*sarama.OffsetRequest{}
		for p := int32(0); p < partitions; p++ {
			leader, err := client.Leader(r.topic, p)
			if err != nil {
				r.fail(fmt.Sprintf("Leader %d", p), err)
				continue
			}
			if requests[leader] == nil {
				requests[leader] = &sarama.OffsetRequest{}
			}
			requests[leader].AddBlock(r.topic, p, spec, 1)
		}
		for broker, req := range requests {
			resp, err := broker.GetAvailableOffsets(req)
			if err != nil {
				r.fail("failed to fetch offsets from broker", err)
				continue
			}
			for p := int32(0); p < partitions; p++ {
				block := resp.GetBlock(r.topic, p)
				if block == nil {
					continue
				}
				out[p].Error = errText(block.Err)
				if spec == sarama.OffsetNewest {
					out[p].Newest = block.Offsets
				} else {
					out[p].Oldest = block.Offsets
				}
			}
		}
	}
	r.rep.PollerOffsets = out
}

// offsetManager commits offset p+1 with metadata "m<p>" on every partition p, closes the manager
// (which flushes the commit), then reads the offsets back with a second manager and with the admin.
func (r *run) offsetManager(client sarama.Client, admin sarama.ClusterAdmin) {
	group := r.group + "-offsets"
	om, err := sarama.NewOffsetManagerFromClient(group, client)
	if err != nil {
		r.fail("NewOffsetManager", err)
		return
	}
	for p := int32(0); p < partitions; p++ {
		pom, err := om.ManagePartition(r.topic, p)
		if err != nil {
			r.fail(fmt.Sprintf("ManagePartition %d", p), err)
			continue
		}
		pom.MarkOffset(int64(p)+1, fmt.Sprintf("m%d", p))
		go func(pom sarama.PartitionOffsetManager) {
			for e := range pom.Errors() {
				r.fail("offset manager", e)
			}
		}(pom)
	}
	if err := om.Close(); err != nil {
		r.fail("OffsetManager.Close", err)
	}

	om2, err := sarama.NewOffsetManagerFromClient(group, client)
	if err != nil {
		r.fail("NewOffsetManager (reread)", err)
		return
	}
	for p := int32(0); p < partitions; p++ {
		pom, err := om2.ManagePartition(r.topic, p)
		if err != nil {
			r.fail(fmt.Sprintf("ManagePartition (reread) %d", p), err)
			continue
		}
		offset, metadata := pom.NextOffset()
		r.rep.OffsetManager.Reread = append(r.rep.OffsetManager.Reread, committedInfo{Partition: p, Offset: offset, Metadata: metadata})
	}
	if err := om2.Close(); err != nil {
		r.fail("OffsetManager.Close (reread)", err)
	}
	r.rep.OffsetManager.Admin = r.groupOffsets(admin, group)
}

func (r *run) groupOffsets(admin sarama.ClusterAdmin, group string) []committedInfo {
	all := make([]int32, partitions)
	for p := range all {
		all[p] = int32(p)
	}
	resp, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{r.topic: all})
	if err != nil {
		r.fail("ListConsumerGroupOffsets "+group, err)
		return nil
	}
	var out []committedInfo
	for p := int32(0); p < partitions; p++ {
		block := resp.GetBlock(r.topic, p)
		if block == nil {
			r.fail("ListConsumerGroupOffsets "+group, fmt.Errorf("no block for partition %d", p))
			continue
		}
		out = append(out, committedInfo{Partition: p, Offset: block.Offset, Metadata: block.Metadata, Error: errText(block.Err)})
	}
	return out
}

func errText(e sarama.KError) string {
	if e == sarama.ErrNoError {
		return ""
	}
	return e.Error()
}
