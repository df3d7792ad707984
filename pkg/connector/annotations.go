package connector

import (
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

func annotationsOf(msgs ...proto.Message) []*anypb.Any {
	var annos annotations.Annotations
	for _, m := range msgs {
		annos.Update(m)
	}
	return annos
}
