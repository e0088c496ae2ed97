package aws

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestCleanRoomsMembershipScope evaluates the Clean Rooms read policy's
// resources for values of CleanRoomsMembershipIds, as CloudFormation would:
// "*" grants every membership of the stack's account and region, a list of
// ids grants exactly those memberships, and only ListMemberships (which
// names no resource) stays on "*".
func TestCleanRoomsMembershipScope(t *testing.T) {
	doc, err := os.ReadFile("audience-uploader.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		t.Fatal(err)
	}
	top := root.Content[0]
	param := mapping(mapping(top, "Parameters"), "CleanRoomsMembershipIds")
	if param == nil || mapping(param, "Default").Value != "*" {
		t.Fatal(`CleanRoomsMembershipIds must be a parameter with the default "*"`)
	}
	pattern := regexp.MustCompile(mapping(param, "AllowedPattern").Value)
	statements := mapping(mapping(mapping(mapping(mapping(top, "Resources"), "CleanRoomsReadPolicy"), "Properties"), "PolicyDocument"), "Statement")
	if len(statements.Content) != 2 {
		t.Fatalf("the Clean Rooms read policy has %d statements, want 2", len(statements.Content))
	}
	const prefix = "arn:aws:cleanrooms:eu-west-1:111122223333:membership/"
	a, b, c := "7c1e4b2a-9d3f-4a6b-8e21-5f0c3d9a1b77", "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a", "0b6f8e21-3c4d-4f5a-9b7e-1a2c3d4e5f60"
	for _, tc := range []struct {
		ids  string
		want []string
	}{
		{"*", []string{prefix + "*"}},
		{a, []string{prefix + a}},
		{a + "," + b + "," + c, []string{prefix + a, prefix + b, prefix + c}},
		{strings.Join([]string{a, b, c, a, b}, ","), []string{prefix + a, prefix + b, prefix + c, prefix + a, prefix + b}},
	} {
		if !pattern.MatchString(tc.ids) {
			t.Errorf("AllowedPattern refuses %q", tc.ids)
			continue
		}
		ev := &cfnEval{params: map[string]string{"CleanRoomsMembershipIds": tc.ids, "AWS::Partition": "aws", "AWS::Region": "eu-west-1",
			"AWS::AccountId": "111122223333"}, conditions: mapping(top, "Conditions")}
		got, err := ev.list(mapping(statements.Content[1], "Resource"))
		if err != nil {
			t.Fatalf("%s: %v", tc.ids, err)
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("CleanRoomsMembershipIds=%s grants\n%s\nwant\n%s", tc.ids, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
	for _, bad := range []string{"", "a,b", "*," + a, a + ", " + b, strings.Repeat(a+",", 5) + a, strings.ToUpper(a)} {
		if pattern.MatchString(bad) {
			t.Errorf("AllowedPattern accepts %q", bad)
		}
	}
}

// cfnEval evaluates the few intrinsic functions the policy uses (Ref, Sub,
// Join, Split, Select, If, Not, Equals) over given parameter values.
type cfnEval struct {
	params     map[string]string
	conditions *yaml.Node
}

var errNoValue = fmt.Errorf("AWS::NoValue")

func (e *cfnEval) list(n *yaml.Node) ([]string, error) {
	if n.Kind == yaml.SequenceNode && n.Tag != "!Split" {
		var out []string
		for _, c := range n.Content {
			v, err := e.str(c)
			if err == errNoValue {
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	if n.Tag == "!Split" {
		s, err := e.str(n.Content[1])
		if err != nil {
			return nil, err
		}
		return strings.Split(s, n.Content[0].Value), nil
	}
	if n.Tag == "!Ref" {
		return []string{e.params[n.Value]}, nil
	}
	return nil, fmt.Errorf("line %d: not a list: %s", n.Line, n.Tag)
}

func (e *cfnEval) str(n *yaml.Node) (string, error) {
	switch n.Tag {
	case "!Ref":
		if n.Value == "AWS::NoValue" {
			return "", errNoValue
		}
		v, ok := e.params[n.Value]
		if !ok {
			return "", fmt.Errorf("line %d: no value for %s", n.Line, n.Value)
		}
		return v, nil
	case "!Sub":
		vars := map[string]string{}
		for k, v := range e.params {
			vars[k] = v
		}
		tmpl := n.Value
		if n.Kind == yaml.SequenceNode {
			tmpl = n.Content[0].Value
			m := n.Content[1]
			for i := 0; i+1 < len(m.Content); i += 2 {
				v, err := e.str(m.Content[i+1])
				if err != nil {
					return "", err
				}
				vars[m.Content[i].Value] = v
			}
		}
		var err error
		out := subVar.ReplaceAllStringFunc(tmpl, func(s string) string {
			v, ok := vars[s[2:len(s)-1]]
			if !ok {
				err = fmt.Errorf("line %d: no value for %s", n.Line, s)
			}
			return v
		})
		return out, err
	case "!Join":
		parts, err := e.list(n.Content[1])
		if err != nil {
			return "", err
		}
		return strings.Join(parts, n.Content[0].Value), nil
	case "!Select":
		i, err := strconv.Atoi(n.Content[0].Value)
		if err != nil {
			return "", err
		}
		l, err := e.list(n.Content[1])
		if err != nil {
			return "", err
		}
		if i >= len(l) {
			return "", fmt.Errorf("line %d: Fn::Select index %d out of %d", n.Line, i, len(l))
		}
		return l[i], nil
	case "!If":
		ok, err := e.cond(mapping(e.conditions, n.Content[0].Value))
		if err != nil {
			return "", err
		}
		if ok {
			return e.str(n.Content[1])
		}
		return e.str(n.Content[2])
	case "!!str":
		return n.Value, nil
	}
	return "", fmt.Errorf("line %d: cannot evaluate %s", n.Line, n.Tag)
}

func (e *cfnEval) cond(n *yaml.Node) (bool, error) {
	if n == nil {
		return false, fmt.Errorf("unknown condition")
	}
	switch n.Tag {
	case "!Not":
		v, err := e.cond(n.Content[0])
		return !v, err
	case "!Equals":
		a, err := e.str(n.Content[0])
		if err != nil {
			return false, err
		}
		b, err := e.str(n.Content[1])
		return a == b, err
	}
	return false, fmt.Errorf("line %d: cannot evaluate condition %s", n.Line, n.Tag)
}
