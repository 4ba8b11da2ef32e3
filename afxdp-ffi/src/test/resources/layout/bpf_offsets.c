/* Prints sizes and offsets of the bpf(2) structures jxdp mirrors; BpfLayoutTest compiles it with clang. */
#include <stdio.h>
#include <stddef.h>
#include <linux/bpf.h>
#define A(f) printf("attr.%s %zu\n", #f, offsetof(union bpf_attr, f));
#define P(s,f) printf(#s ".%s %zu\n", #f, offsetof(struct s, f));
int main(void){
printf("attr.size %zu\n", sizeof(union bpf_attr));
A(map_type)A(key_size)A(value_size)A(max_entries)A(map_flags)A(inner_map_fd)A(numa_node)A(map_name)A(map_ifindex)A(btf_fd)A(btf_key_type_id)A(btf_value_type_id)A(btf_vmlinux_value_type_id)A(map_extra)
A(map_fd)A(key)A(value)A(next_key)A(flags)
A(prog_type)A(insn_cnt)A(insns)A(license)A(log_level)A(log_size)A(log_buf)A(kern_version)A(prog_flags)A(prog_name)A(prog_ifindex)A(expected_attach_type)A(prog_btf_fd)A(func_info_rec_size)A(func_info)A(func_info_cnt)A(line_info_rec_size)A(line_info)A(line_info_cnt)A(attach_btf_id)A(attach_prog_fd)
A(pathname)A(bpf_fd)A(file_flags)
A(test.prog_fd)A(test.retval)A(test.data_size_in)A(test.data_size_out)A(test.data_in)A(test.data_out)A(test.repeat)A(test.duration)A(test.ctx_size_in)A(test.ctx_size_out)A(test.ctx_in)A(test.ctx_out)A(test.flags)A(test.cpu)A(test.batch_size)
A(prog_id)A(map_id)A(next_id)A(open_flags)
A(info.bpf_fd)A(info.info_len)A(info.info)
A(btf)A(btf_log_buf)A(btf_size)A(btf_log_size)A(btf_log_level)
A(link_create.prog_fd)A(link_create.target_fd)A(link_create.attach_type)A(link_create.flags)
printf("bpf_map_info.size %zu\n", sizeof(struct bpf_map_info));
P(bpf_map_info,type)P(bpf_map_info,id)P(bpf_map_info,key_size)P(bpf_map_info,value_size)P(bpf_map_info,max_entries)P(bpf_map_info,map_flags)P(bpf_map_info,name)P(bpf_map_info,ifindex)P(bpf_map_info,btf_id)P(bpf_map_info,btf_key_type_id)P(bpf_map_info,btf_value_type_id)P(bpf_map_info,map_extra)
printf("bpf_prog_info.size %zu\n", sizeof(struct bpf_prog_info));
P(bpf_prog_info,type)P(bpf_prog_info,id)P(bpf_prog_info,tag)P(bpf_prog_info,jited_prog_len)P(bpf_prog_info,xlated_prog_len)P(bpf_prog_info,load_time)P(bpf_prog_info,created_by_uid)P(bpf_prog_info,nr_map_ids)P(bpf_prog_info,map_ids)P(bpf_prog_info,name)P(bpf_prog_info,ifindex)P(bpf_prog_info,btf_id)P(bpf_prog_info,run_time_ns)P(bpf_prog_info,run_cnt)P(bpf_prog_info,verified_insns)
printf("bpf_link_info.size %zu\n", sizeof(struct bpf_link_info));
P(bpf_link_info,type)P(bpf_link_info,id)P(bpf_link_info,prog_id)P(bpf_link_info,xdp.ifindex)
printf("bpf_btf_info.size %zu\n", sizeof(struct bpf_btf_info));
P(bpf_btf_info,btf)P(bpf_btf_info,btf_size)P(bpf_btf_info,id)
printf("xdp_md.size %zu\n", sizeof(struct xdp_md));
return 0;}
