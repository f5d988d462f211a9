package main

// report is the JSON the client prints; its field names are what ../sarama.test.ts reads.
type report struct {
	Version       string               `json:"version"`
	Errors        []string             `json:"errors"`
	Brokers       []brokerInfo         `json:"brokers"`
	Controller    int32                `json:"controller"`
	Partitions    []partitionInfo      `json:"partitions"`
	Produced      []producedInfo       `json:"produced"`
	Offsets       []offsetsInfo        `json:"offsets"`
	PollerOffsets []pollerInfo         `json:"pollerOffsets"`
	OffsetManager offsetManagerInfo    `json:"offsetManager"`
	Group         groupInfo            `json:"group"`
	Groups        map[string]string    `json:"groups"`
	Configs       []configInfo         `json:"configs"`
	TopicsBefore  []string             `json:"topicsBefore"`
	TopicsAfter   []string             `json:"topicsAfter"`
	DescribeAfter []topicDescribeAfter `json:"describeAfter"`
}

type brokerInfo struct {
	ID   int32  `json:"id"`
	Addr string `json:"addr"`
}

type partitionInfo struct {
	Partition int32   `json:"partition"`
	Leader    int32   `json:"leader"`
	Replicas  []int32 `json:"replicas"`
	Isr       []int32 `json:"isr"`
}

type producedInfo struct {
	Key       string `json:"key"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}

type offsetsInfo struct {
	Partition int32 `json:"partition"`
	Oldest    int64 `json:"oldest"`
	Newest    int64 `json:"newest"`
}

// pollerInfo is what a ListOffsets v0 request per leader answered, as offset pollers send it.
type pollerInfo struct {
	Partition int32   `json:"partition"`
	Newest    []int64 `json:"newest"`
	Oldest    []int64 `json:"oldest"`
	Error     string  `json:"error"`
}

type committedInfo struct {
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	Metadata  string `json:"metadata"`
	Error     string `json:"error"`
}

type offsetManagerInfo struct {
	// What a second offset manager reads back after the first committed and closed.
	Reread []committedInfo `json:"reread"`
	// The same offsets through ClusterAdmin.ListConsumerGroupOffsets.
	Admin []committedInfo `json:"admin"`
}

type sessionInfo struct {
	Generation int32   `json:"generation"`
	Claims     []int32 `json:"claims"`
}

type consumedInfo struct {
	Member     string `json:"member"`
	Generation int32  `json:"generation"`
	Partition  int32  `json:"partition"`
	Offset     int64  `json:"offset"`
	Key        string `json:"key"`
	Value      string `json:"value"`
}

type memberDescription struct {
	ClientID   string   `json:"clientId"`
	ClientHost string   `json:"clientHost"`
	Topics     []string `json:"topics"`
	Assignment []int32  `json:"assignment"`
}

type groupDescription struct {
	Error        string              `json:"error"`
	State        string              `json:"state"`
	ProtocolType string              `json:"protocolType"`
	Protocol     string              `json:"protocol"`
	Members      []memberDescription `json:"members"`
}

type groupInfo struct {
	// Sessions of member a and b in the order they started.
	Sessions        map[string][]sessionInfo `json:"sessions"`
	Consumed        []consumedInfo           `json:"consumed"`
	DescribeActive  groupDescription         `json:"describeActive"`
	Committed       []committedInfo          `json:"committed"`
	DescribeStopped groupDescription         `json:"describeStopped"`
}

type configInfo struct {
	Name      string `json:"name"`
	Value     string `json:"value"`
	ReadOnly  bool   `json:"readOnly"`
	Default   bool   `json:"default"`
	Sensitive bool   `json:"sensitive"`
}

type topicDescribeAfter struct {
	Name  string `json:"name"`
	Error string `json:"error"`
}
