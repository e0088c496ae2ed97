// Package aws holds the CloudFormation template users deploy; this test
// checks it without an AWS account.
package aws

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

var pseudo = map[string]bool{"AWS::AccountId": true, "AWS::NoValue": true, "AWS::NotificationARNs": true,
	"AWS::Partition": true, "AWS::Region": true, "AWS::StackId": true, "AWS::StackName": true, "AWS::URLSuffix": true}

// mapping returns the value node under key in a mapping node.
func mapping(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func keys(n *yaml.Node) map[string]bool {
	out := map[string]bool{}
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			out[n.Content[i].Value] = true
		}
	}
	return out
}

var subVar = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// check lists every Ref / GetAtt / Sub / Condition that names nothing.
func check(doc []byte) ([]string, *yaml.Node, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return nil, nil, err
	}
	if len(root.Content) != 1 {
		return nil, nil, fmt.Errorf("empty template")
	}
	top := root.Content[0]
	params, resources, conditions := keys(mapping(top, "Parameters")), keys(mapping(top, "Resources")), keys(mapping(top, "Conditions"))
	var problems []string
	bad := func(n *yaml.Node, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("line %d: ", n.Line)+fmt.Sprintf(format, args...))
	}
	ref := func(n *yaml.Node, name string) {
		if !params[name] && !resources[name] && !pseudo[name] {
			bad(n, "Ref %s names no parameter or resource", name)
		}
	}
	getAtt := func(n *yaml.Node, target string) {
		res, attr, ok := strings.Cut(target, ".")
		if !ok || attr == "" || !resources[res] {
			bad(n, "GetAtt %s names no resource attribute", target)
		}
	}
	sub := func(n *yaml.Node, local map[string]bool) {
		var s string
		switch n.Kind {
		case yaml.ScalarNode:
			s = n.Value
		case yaml.SequenceNode:
			if len(n.Content) != 2 {
				bad(n, "Sub takes a string and a map")
				return
			}
			s = n.Content[0].Value
			local = keys(n.Content[1])
		}
		for _, m := range subVar.FindAllStringSubmatch(s, -1) {
			name := m[1]
			switch {
			case local[name], pseudo[name]:
			case strings.Contains(name, "."):
				getAtt(n, name)
			default:
				ref(n, name)
			}
		}
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Tag {
		case "!Ref":
			ref(n, n.Value)
		case "!GetAtt":
			if n.Kind == yaml.SequenceNode && len(n.Content) == 2 {
				getAtt(n, n.Content[0].Value+"."+n.Content[1].Value)
			} else {
				getAtt(n, n.Value)
			}
		case "!Sub":
			sub(n, nil)
		case "!If":
			if len(n.Content) == 3 && !conditions[n.Content[0].Value] {
				bad(n, "If names no condition %s", n.Content[0].Value)
			}
		case "!Condition":
			if !conditions[n.Value] {
				bad(n, "Condition %s is not defined", n.Value)
			}
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i].Value, n.Content[i+1]
				switch k {
				case "Ref":
					ref(v, v.Value)
				case "Fn::GetAtt":
					if v.Kind == yaml.SequenceNode && len(v.Content) == 2 {
						getAtt(v, v.Content[0].Value+"."+v.Content[1].Value)
					} else {
						getAtt(v, v.Value)
					}
				case "Fn::Sub":
					sub(v, nil)
				case "Condition":
					// A resource's Condition names a template condition; an IAM
					// policy's Condition block is something else.
					if v.Kind == yaml.ScalarNode && mapping(n, "Type") != nil && !conditions[v.Value] {
						bad(v, "Condition %s is not defined", v.Value)
					}
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	for _, sec := range []string{"Resources", "Outputs", "Conditions"} {
		if n := mapping(top, sec); n != nil {
			walk(n)
		}
	}
	return problems, top, nil
}

func TestTemplateReferences(t *testing.T) {
	doc, err := os.ReadFile("audience-uploader.yaml")
	if err != nil {
		t.Fatal(err)
	}
	problems, top, err := check(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	// What the app needs: outputs named like the settings fields.
	outs := keys(mapping(top, "Outputs"))
	for _, k := range []string{"Region", "UserPoolId", "AppClientId", "IdentityPoolId", "Bucket", "RuntimeConfig"} {
		if !outs[k] {
			t.Errorf("output %s missing", k)
		}
	}
	res := mapping(top, "Resources")
	types := map[string]string{}
	for i := 0; i+1 < len(res.Content); i += 2 {
		types[res.Content[i].Value] = mapping(res.Content[i+1], "Type").Value
	}
	for name, typ := range map[string]string{"UserPool": "AWS::Cognito::UserPool", "UserPoolClient": "AWS::Cognito::UserPoolClient",
		"IdentityPool": "AWS::Cognito::IdentityPool", "AuthenticatedRole": "AWS::IAM::Role", "IdentityPoolRoles": "AWS::Cognito::IdentityPoolRoleAttachment"} {
		if types[name] != typ {
			t.Errorf("resource %s is %q, want %s", name, types[name], typ)
		}
	}
	client := mapping(mapping(res, "UserPoolClient"), "Properties")
	if v := mapping(client, "GenerateSecret"); v == nil || v.Value != "false" {
		t.Error("the app client must have no secret")
	}
	var flows []string
	for _, f := range mapping(client, "ExplicitAuthFlows").Content {
		flows = append(flows, f.Value)
	}
	sort.Strings(flows)
	if strings.Join(flows, ",") != "ALLOW_REFRESH_TOKEN_AUTH,ALLOW_USER_SRP_AUTH" {
		t.Errorf("auth flows = %v: SRP and refresh only", flows)
	}
	admin := mapping(mapping(mapping(res, "UserPool"), "Properties"), "AdminCreateUserConfig")
	if v := mapping(admin, "AllowAdminCreateUserOnly"); v == nil || v.Value != "true" {
		t.Error("users must be created by an administrator")
	}
	// The role may only list and read.
	var actions []string
	var collect func(n *yaml.Node)
	collect = func(n *yaml.Node) {
		if a := mapping(n, "Action"); a != nil && mapping(n, "Principal") == nil {
			if a.Kind == yaml.SequenceNode {
				for _, c := range a.Content {
					actions = append(actions, c.Value)
				}
			} else {
				actions = append(actions, a.Value)
			}
		}
		for _, c := range n.Content {
			collect(c)
		}
	}
	collect(mapping(mapping(mapping(res, "AuthenticatedRole"), "Properties"), "Policies"))
	sort.Strings(actions)
	if strings.Join(actions, ",") != "s3:GetObject,s3:ListBucket" {
		t.Errorf("role actions = %v, want only s3:ListBucket and s3:GetObject", actions)
	}
}

// TestCheckerFindsBrokenReferences proves the checker can fail.
func TestCheckerFindsBrokenReferences(t *testing.T) {
	doc := `
Parameters:
  P: {Type: String}
Conditions:
  C: !Equals [!Ref P, ""]
Resources:
  A:
    Type: AWS::S3::Bucket
    Condition: Nope
    Properties:
      BucketName: !Ref Missing
      Tags:
        - Key: k
          Value: !GetAtt Ghost.Arn
        - Key: s
          Value: !Sub "${P}-${Unknown}-${A.Arn}-${AWS::Region}-${!Literal}"
        - Key: l
          Value: {"Fn::GetAtt": [Nothing, Arn]}
        - Key: m
          Value: !Sub ["${X}-${Y}", {X: !Ref P}]
Outputs:
  O:
    Value: !GetAtt P.Arn
`
	problems, _, err := check([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Condition Nope", "Ref Missing", "GetAtt Ghost.Arn", "Ref Unknown", "GetAtt Nothing.Arn", "Ref Y", "GetAtt P.Arn"}
	all := strings.Join(problems, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("checker missed %q; found:\n%s", w, all)
		}
	}
	if len(problems) != len(want) {
		t.Errorf("found %d problems, want %d:\n%s", len(problems), len(want), all)
	}
}

// statementActions lists a policy document's statements as "actions on resources".
func statementActions(doc *yaml.Node) []string {
	var out []string
	for _, st := range mapping(doc, "Statement").Content {
		var acts []string
		if a := mapping(st, "Action"); a.Kind == yaml.SequenceNode {
			for _, c := range a.Content {
				acts = append(acts, c.Value)
			}
		} else {
			acts = append(acts, a.Value)
		}
		sort.Strings(acts)
		res := mapping(st, "Resource").Value
		if r := mapping(st, "Resource"); r.Kind == yaml.SequenceNode {
			res = fmt.Sprintf("[%d resources]", len(r.Content))
		}
		out = append(out, mapping(st, "Effect").Value+" "+strings.Join(acts, ",")+" on "+res)
	}
	return out
}

// TestCleanRoomsAccessIsOptionalAndReadOnly: the Clean Rooms grant is off
// unless asked for, gives the identity pool's role only the four read-only
// Clean Rooms actions, and reads only the result bucket's prefix.
func TestCleanRoomsAccessIsOptionalAndReadOnly(t *testing.T) {
	doc, err := os.ReadFile("audience-uploader.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, top, err := check(doc)
	if err != nil {
		t.Fatal(err)
	}
	params := mapping(top, "Parameters")
	access := mapping(params, "CleanRoomsAccess")
	if access == nil || mapping(access, "Default").Value != "false" || len(mapping(access, "AllowedValues").Content) != 2 {
		t.Fatal("CleanRoomsAccess must be a false/true parameter, false by default")
	}
	for _, p := range []string{"CleanRoomsResultBucket", "CleanRoomsResultPrefix"} {
		if n := mapping(params, p); n == nil || mapping(n, "Default") == nil || mapping(n, "Default").Value != "" {
			t.Errorf("parameter %s must exist and be optional", p)
		}
	}
	conds := mapping(top, "Conditions")
	grant := mapping(conds, "GrantCleanRooms")
	if grant == nil || grant.Tag != "!Equals" || grant.Content[0].Value != "CleanRoomsAccess" || grant.Content[1].Value != "true" {
		t.Fatal(`GrantCleanRooms must be CleanRoomsAccess == "true"`)
	}
	results := mapping(conds, "GrantCleanRoomsResults")
	if results == nil || results.Tag != "!And" || results.Content[0].Value != "GrantCleanRooms" {
		t.Fatal("GrantCleanRoomsResults must need GrantCleanRooms and a result bucket")
	}

	res := mapping(top, "Resources")
	cases := []struct {
		resource, condition string
		want                []string
	}{
		{"CleanRoomsReadPolicy", "GrantCleanRooms", []string{
			"Allow cleanrooms:ListMemberships on *",
			"Allow cleanrooms:GetMembership,cleanrooms:GetProtectedQuery,cleanrooms:ListProtectedQueries on [5 resources]"}},
		{"CleanRoomsResultsPolicy", "GrantCleanRoomsResults", []string{
			"Allow s3:ListBucket on arn:${AWS::Partition}:s3:::${CleanRoomsResultBucket}",
			"Allow s3:GetObject on arn:${AWS::Partition}:s3:::${CleanRoomsResultBucket}/${CleanRoomsResultPrefix}*"}},
	}
	for _, tc := range cases {
		r := mapping(res, tc.resource)
		if r == nil || mapping(r, "Type").Value != "AWS::IAM::RolePolicy" || mapping(r, "Condition").Value != tc.condition {
			t.Fatalf("%s must be an AWS::IAM::RolePolicy under the condition %s", tc.resource, tc.condition)
		}
		props := mapping(r, "Properties")
		if role := mapping(props, "RoleName"); role == nil || role.Tag != "!Ref" || role.Value != "AuthenticatedRole" {
			t.Errorf("%s must attach to the identity pool's AuthenticatedRole", tc.resource)
		}
		got := statementActions(mapping(props, "PolicyDocument"))
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s grants:\n%s\nwant:\n%s", tc.resource, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
	list := mapping(mapping(res, "CleanRoomsResultsPolicy"), "Properties")
	cond := mapping(mapping(mapping(mapping(list, "PolicyDocument"), "Statement").Content[0], "Condition"), "StringLike")
	if v := mapping(cond, "s3:prefix"); v == nil || v.Value != "${CleanRoomsResultPrefix}*" {
		t.Error("listing the result bucket must be limited to the result prefix")
	}
}
